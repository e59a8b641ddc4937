package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// wavBuilder assembles WAVE files chunk by chunk, for layouts that WriteTo
// does not produce.
type wavBuilder struct{ chunks bytes.Buffer }

func (b *wavBuilder) chunk(id string, body []byte) *wavBuilder {
	b.chunks.WriteString(id)
	binary.Write(&b.chunks, binary.LittleEndian, uint32(len(body)))
	b.chunks.Write(body)
	if len(body)%2 == 1 {
		b.chunks.WriteByte(0)
	}
	return b
}

func (b *wavBuilder) rawChunk(id string, size uint32, body []byte) *wavBuilder {
	b.chunks.WriteString(id)
	binary.Write(&b.chunks, binary.LittleEndian, size)
	b.chunks.Write(body)
	return b
}

func (b *wavBuilder) bytes() []byte {
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(4+b.chunks.Len()))
	out.WriteString("WAVE")
	out.Write(b.chunks.Bytes())
	return out.Bytes()
}

// fmtChunk is a plain PCM fmt chunk body.
func fmtChunk(tag uint16, channels, rate int, bits uint16) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	binary.Write(&b, le, tag)
	binary.Write(&b, le, uint16(channels))
	binary.Write(&b, le, uint32(rate))
	binary.Write(&b, le, uint32(rate*channels*int(bits)/8))
	binary.Write(&b, le, uint16(channels*int(bits)/8))
	binary.Write(&b, le, bits)
	return b.Bytes()
}

// extensibleChunk is a WAVE_FORMAT_EXTENSIBLE fmt chunk body with the
// given sub-format tag.
func extensibleChunk(channels, rate int, sub uint16) []byte {
	b := bytes.NewBuffer(fmtChunk(wavFormatExtensible, channels, rate, 16))
	le := binary.LittleEndian
	binary.Write(b, le, uint16(22))
	binary.Write(b, le, uint16(16))
	binary.Write(b, le, uint32(3))
	binary.Write(b, le, sub)
	b.Write(wavSubtypePCM)
	return b.Bytes()
}

func pcmBytes(samples []int16) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, samples)
	return b.Bytes()
}

func TestReadWAV(t *testing.T) {
	stereo := []int16{1, -1, 2, -2, 300, -300, 32767, -32768}
	tests := []struct {
		name     string
		file     []byte
		rate, ch int
		want     []int16
	}{
		{"plain", new(wavBuilder).chunk("fmt ", fmtChunk(1, 2, 16000, 16)).
			chunk("data", pcmBytes(stereo)).bytes(), 16000, 2, stereo},
		{"extensible with fact", new(wavBuilder).chunk("fmt ", extensibleChunk(2, 48000, 1)).
			chunk("fact", []byte{4, 0, 0, 0}).chunk("data", pcmBytes(stereo)).bytes(), 48000, 2, stereo},
		{"list chunks around fmt, odd size padded", new(wavBuilder).chunk("LIST", []byte("INFOabc")).
			chunk("fmt ", fmtChunk(1, 1, 8000, 16)).chunk("LIST", []byte("INFO")).
			chunk("data", pcmBytes(stereo)).chunk("LIST", []byte("after")).bytes(), 8000, 1, stereo},
		{"streaming size reads to the end", new(wavBuilder).chunk("fmt ", fmtChunk(1, 2, 16000, 16)).
			rawChunk("data", wavSizeUnknown, append(pcmBytes(stereo), 9)).bytes(), 16000, 2, stereo},
		{"empty data", new(wavBuilder).chunk("fmt ", fmtChunk(1, 1, 16000, 16)).
			chunk("data", nil).bytes(), 16000, 1, []int16{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ReadWAV(bytes.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if w.Rate != tt.rate || w.Channels != tt.ch || !slices.Equal(w.Samples, tt.want) {
				t.Fatalf("got %d Hz, %d channels, %v, want %d Hz, %d channels, %v",
					w.Rate, w.Channels, w.Samples, tt.rate, tt.ch, tt.want)
			}
		})
	}
}

func TestReadWAVErrors(t *testing.T) {
	fmt16 := fmtChunk(1, 2, 16000, 16)
	data := pcmBytes([]int16{1, 2, 3, 4})
	tests := []struct {
		name string
		file []byte
		want error
	}{
		{"empty", nil, ErrNotWAV},
		{"big-endian rifx", append([]byte("RIFX\x00\x00\x00\x00WAVE"), data...), ErrNotWAV},
		{"avi", []byte("RIFF\x00\x00\x00\x00AVI LIST"), ErrNotWAV},
		{"float samples", new(wavBuilder).chunk("fmt ", fmtChunk(3, 2, 16000, 32)).
			chunk("data", data).bytes(), ErrUnsupportedWAV},
		{"8-bit", new(wavBuilder).chunk("fmt ", fmtChunk(1, 1, 8000, 8)).
			chunk("data", data).bytes(), ErrUnsupportedWAV},
		{"24-bit", new(wavBuilder).chunk("fmt ", fmtChunk(1, 1, 8000, 24)).
			chunk("data", data[:6]).bytes(), ErrUnsupportedWAV},
		{"extensible float", new(wavBuilder).chunk("fmt ", extensibleChunk(2, 16000, 3)).
			chunk("data", data).bytes(), ErrUnsupportedWAV},
		{"zero channels", new(wavBuilder).chunk("fmt ", fmtChunk(1, 0, 16000, 16)).
			chunk("data", data).bytes(), ErrNotWAV},
		{"data before fmt", new(wavBuilder).chunk("data", data).chunk("fmt ", fmt16).bytes(), ErrNotWAV},
		{"no data chunk", new(wavBuilder).chunk("fmt ", fmt16).bytes(), ErrTruncatedWAV},
		{"data cut short", new(wavBuilder).chunk("fmt ", fmt16).
			rawChunk("data", 100, data).bytes(), ErrTruncatedWAV},
		{"partial frame", new(wavBuilder).chunk("fmt ", fmt16).chunk("data", data[:6]).bytes(), ErrNotWAV},
		{"huge unknown chunk", new(wavBuilder).rawChunk("junk", 1<<31, data).bytes(), ErrTruncatedWAV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ReadWAV(bytes.NewReader(tt.file)); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWAVHelpers(t *testing.T) {
	w := &WAV{Rate: 16000, Channels: 2, Samples: make([]int16, 2*8000)}
	w.Samples[0], w.Samples[1], w.Samples[3] = 5, 6, 7
	if got := w.Duration(); got != 500*time.Millisecond {
		t.Fatalf("got %v, want 500ms", got)
	}
	if got := w.Channel(1)[:2]; !slices.Equal(got, []int16{6, 7}) {
		t.Fatalf("got right channel %v, want [6 7]", got)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadWAV(&buf)
	if err != nil {
		t.Fatalf("round trip: %v", err)
	}
	if back.Rate != w.Rate || back.Channels != w.Channels || !slices.Equal(back.Samples, w.Samples) {
		t.Fatalf("round trip: got %d Hz, %d channels, %d samples, want the original",
			back.Rate, back.Channels, len(back.Samples))
	}
}

// TestReadWAVFromTools reads what flite and sox write, when they are
// installed (scripts/setup.sh installs both).
func TestReadWAVFromTools(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, out string
		cmd       []string
		rate, ch  int
	}{
		{"flite", "flite.wav", []string{"flite", "-voice", "slt", "-t", "Hello there.",
			"-o", "flite.wav"}, 16000, 1},
		{"sox mono 8 kHz", "sox1.wav", []string{"sox", "-n", "-r", "8000", "-c", "1", "-b", "16",
			"sox1.wav", "synth", "0.5", "sine", "440"}, 8000, 1},
		{"sox extensible", "sox3.wav", []string{"sox", "-n", "-r", "16000", "-c", "3", "-b", "16",
			"sox3.wav", "synth", "0.5", "sine", "440"}, 16000, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := exec.LookPath(tt.cmd[0]); err != nil {
				t.Skipf("%s is not installed", tt.cmd[0])
			}
			cmd := exec.Command(tt.cmd[0], tt.cmd[1:]...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", tt.cmd, err, out)
			}
			w := readWAVFile(t, filepath.Join(dir, tt.out))
			if w.Rate != tt.rate || w.Channels != tt.ch || w.Frames() < tt.rate/4 {
				t.Fatalf("got %d Hz, %d channels, %d frames, want %d Hz, %d channels, at least %d",
					w.Rate, w.Channels, w.Frames(), tt.rate, tt.ch, tt.rate/4)
			}
		})
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(new(wavBuilder).chunk("fmt ", fmtChunk(1, 2, 16000, 16)).
		chunk("data", pcmBytes([]int16{1, 2, 3, 4})).bytes())
	f.Add(new(wavBuilder).chunk("LIST", []byte("INFOx")).chunk("fmt ", extensibleChunk(1, 8000, 1)).
		rawChunk("data", wavSizeUnknown, []byte{1, 2, 3}).bytes())
	var rec [recHeaderSize]byte
	putRecordingHeader(&rec, 4)
	f.Add(append(rec[:], 1, 2, 3, 4))

	f.Fuzz(func(t *testing.T, file []byte) {
		w, err := ReadWAV(bytes.NewReader(file))
		if err != nil {
			return
		}
		if w.Channels < 1 || w.Rate < 1 || len(w.Samples)%w.Channels != 0 {
			t.Fatalf("accepted %d channels at %d Hz with %d samples", w.Channels, w.Rate, len(w.Samples))
		}
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			t.Fatalf("write back: %v", err)
		}
		back, err := ReadWAV(&buf)
		if err != nil || back.Rate != w.Rate || back.Channels != w.Channels ||
			!slices.Equal(back.Samples, w.Samples) {
			t.Fatalf("round trip changed the audio (%v)", err)
		}
	})
}
