package qwen

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/voiced/voiced/tts/ttstest"
)

// le16 encodes samples as s16le.
func le16(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// chunk returns a RIFF chunk.
func chunk(id string, body []byte) []byte {
	b := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(body)))
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// fmtBody returns a fmt chunk's body; extensible writes
// WAVE_FORMAT_EXTENSIBLE with the PCM sub-format.
func fmtBody(channels, rate, bits int, extensible bool) []byte {
	b := make([]byte, 16, 40)
	le := binary.LittleEndian
	le.PutUint16(b[0:], wavFormatPCM)
	le.PutUint16(b[2:], uint16(channels))
	le.PutUint32(b[4:], uint32(rate))
	le.PutUint32(b[8:], uint32(rate*channels*bits/8))
	le.PutUint16(b[12:], uint16(channels*bits/8))
	le.PutUint16(b[14:], uint16(bits))
	if extensible {
		le.PutUint16(b[0:], wavFormatExtensible)
		b = append(b, 22, 0, byte(bits), 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0,
			0, 0xaa, 0, 0x38, 0x9b, 0x71)
	}
	return b
}

// wavFile returns a RIFF WAVE file of the given chunks.
func wavFile(chunks ...[]byte) []byte {
	body := []byte("WAVE")
	for _, c := range chunks {
		body = append(body, c...)
	}
	return chunk("RIFF", body)
}

// readWAV decodes b one byte a read and returns its samples and rate.
func readWAV(b []byte) ([]int16, int, error) {
	w := &wavReader{r: iotest.OneByteReader(bytes.NewReader(b))}
	if err := w.next(); err != nil {
		return nil, 0, w.failure(err)
	}
	d := decoder{src: w}
	var out []int16
	buf := make([]int16, 7)
	for {
		n, err := d.read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, w.rate, nil
		}
		if err != nil {
			return out, w.rate, err
		}
	}
}

func TestWAVReader(t *testing.T) {
	a, b := ttstest.Samples(5), ttstest.Samples(8)[5:]
	mono := fmtBody(1, 24000, 16, false)
	unbounded := chunk("data", nil)
	binary.LittleEndian.PutUint32(unbounded[4:], 0xFFFFFFFF)
	tests := []struct {
		name string
		in   []byte
		want []int16
		rate int
		err  error
	}{
		{"plain", wavFile(chunk("fmt ", mono), chunk("data", le16(a))), a, 24000, nil},
		{"extensible", wavFile(chunk("fmt ", fmtBody(1, 16000, 16, true)),
			chunk("data", le16(a))), a, 16000, nil},
		{"chunks around the data", wavFile(chunk("LIST", []byte("INFOabc")),
			chunk("fmt ", mono), chunk("fact", []byte{1, 0, 0, 0}), chunk("data", le16(a)),
			chunk("LIST", []byte("xyz"))), a, 24000, nil},
		{"size unknown", append(wavFile(chunk("fmt ", mono), unbounded), le16(a)...), a, 24000,
			nil},
		{"one file after another", append(wavFile(chunk("fmt ", mono), chunk("data", le16(a))),
			wavFile(chunk("fmt ", mono), chunk("data", le16(b)))...),
			ttstest.Samples(8), 24000, nil},
		{"rate changes", append(wavFile(chunk("fmt ", mono), chunk("data", le16(a))),
			wavFile(chunk("fmt ", fmtBody(1, 16000, 16, false)), chunk("data", le16(b)))...),
			a, 24000, ErrBadResponse},
		{"stereo", wavFile(chunk("fmt ", fmtBody(2, 24000, 16, false)), chunk("data", nil)),
			nil, 0, ErrBadResponse},
		{"8-bit", wavFile(chunk("fmt ", fmtBody(1, 24000, 8, false)), chunk("data", nil)),
			nil, 0, ErrBadResponse},
		{"data before fmt", wavFile(chunk("data", le16(a)), chunk("fmt ", mono)), nil, 0,
			ErrBadResponse},
		{"not wave", chunk("RIFF", []byte("AVI LIST")), nil, 0, ErrBadResponse},
		{"header cut short", wavFile(chunk("fmt ", mono))[:30], nil, 0, ErrInterrupted},
		{"second header cut short", append(wavFile(chunk("fmt ", mono),
			chunk("data", le16(a))), []byte("RIFF\x10\x00")...), a, 24000, ErrInterrupted},
		{"skipped chunk cut short", append(wavFile(chunk("fmt ", mono),
			chunk("data", le16(a))), []byte("LIST\xff\x00\x00\x00abc")...), a, 24000,
			ErrInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rate, err := readWAV(tt.in)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tt.err)
			}
			if rate != tt.rate {
				t.Fatalf("got %d Hz, want %d", rate, tt.rate)
			}
			samePCM(t, got, tt.want)
		})
	}
}

// readSSE decodes an event stream one byte a read.
func readSSE(s string) ([]int16, error) {
	d := decoder{src: newSSEReader(iotest.OneByteReader(strings.NewReader(s)), 1<<20)}
	var out []int16
	buf := make([]int16, 5)
	for {
		n, err := d.read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestSSEReader(t *testing.T) {
	pcm := ttstest.Samples(6)
	raw := le16(pcm)
	b64 := base64.StdEncoding.EncodeToString
	unpadded := base64.RawStdEncoding.EncodeToString
	delta := func(b []byte) string {
		return "data: {\"type\":\"speech.audio.delta\",\"audio\":\"" + b64(b) + "\"}\n\n"
	}
	const done = "data: {\"type\":\"speech.audio.done\",\"usage\":{}}\n\n"
	tests := []struct {
		name string
		in   string
		want []int16
		err  error
	}{
		{"deltas split inside samples", delta(raw[:3]) + delta(raw[3:8]) + delta(raw[8:]) + done,
			pcm, nil},
		{"no space after the colon", "data:{\"type\":\"speech.audio.delta\",\"audio\":\"" +
			b64(raw) + "\"}\n\n" + done, pcm, nil},
		{"unpadded base64", "data: {\"type\":\"speech.audio.delta\",\"audio\":\"" +
			unpadded(raw[:5]) + "\"}\n\n" + delta(raw[5:]) + done, pcm, nil},
		{"json over two data lines", "data: {\"type\":\"speech.audio.delta\",\ndata: \"audio\":\"" +
			b64(raw) + "\"}\n\n" + done, pcm, nil},
		{"type from the event field", "event: speech.audio.delta\ndata: {\"audio\":\"" +
			b64(raw) + "\"}\n\nevent: speech.audio.done\ndata: {}\n\n", pcm, nil},
		{"comments, ids, retry, crlf", ": hi\r\nid: 1\r\nretry: 10\r\n" +
			strings.ReplaceAll(delta(raw), "\n", "\r\n") + done, pcm, nil},
		{"blank lines without data", "\n\n\n" + delta(raw) + "\n\n" + done, pcm, nil},
		{"openai done marker", delta(raw) + "data: [DONE]\n\n", pcm, nil},
		{"unknown types", "data: {\"type\":\"speech.audio.progress\"}\n\n" + delta(raw) +
			"data: {\"type\":\"session.updated\",\"audio\":\"???\"}\n\n" + done, pcm, nil},
		{"after done is ignored", delta(raw) + done + "garbage", pcm, nil},
		{"no done", delta(raw), pcm, ErrInterrupted},
		{"last event without its blank line", delta(raw) + strings.TrimSuffix(done, "\n\n"),
			pcm, ErrInterrupted},
		{"error event", delta(raw) + "data: {\"type\":\"speech.audio.error\",\"error\":" +
			"{\"message\":\"oom\",\"type\":\"InternalServerError\",\"code\":500}}\n\n", pcm,
			&UpstreamError{}},
		{"error event with a string", "data: {\"type\":\"speech.audio.error\"," +
			"\"error\":\"oom\"}\n\n", nil, &UpstreamError{}},
		{"not json", "data: hello\n\n", nil, ErrBadResponse},
		{"bad base64", "data: {\"type\":\"speech.audio.delta\",\"audio\":\"@@\"}\n\n", nil,
			ErrBadResponse},
		{"line too long", "data: " + strings.Repeat("a", 1<<20) + "\n\n", nil, ErrReplyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readSSE(tt.in)
			switch want := tt.err.(type) {
			case nil:
				if err != nil {
					t.Fatalf("got %v, want the end", err)
				}
			case *UpstreamError:
				if _, ok := errors.AsType[*UpstreamError](err); !ok ||
					!strings.Contains(err.Error(), "oom") {
					t.Fatalf("got %v, want an *UpstreamError saying oom", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("got %v, want %v", err, want)
				}
			}
			samePCM(t, got, tt.want)
		})
	}
}

func FuzzSSEReader(f *testing.F) {
	f.Add("data: {\"type\":\"speech.audio.delta\",\"audio\":\"AAEC\"}\n\n" +
		"data: {\"type\":\"speech.audio.done\"}\n\n")
	f.Add("event: x\r\ndata: {\"error\":{\"message\":\"m\"}}\r\n\r\n")
	f.Add(": c\ndata\ndata: [DONE]\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := readSSE(s)
		if err == nil && len(got) > len(s) {
			t.Fatalf("got %d samples from %d bytes", len(got), len(s))
		}
	})
}

func FuzzWAVReader(f *testing.F) {
	mono := fmtBody(1, 24000, 16, false)
	f.Add(wavFile(chunk("fmt ", mono), chunk("data", le16(ttstest.Samples(3)))))
	f.Add(wavFile(chunk("fmt ", fmtBody(1, 8000, 16, true)), chunk("LIST", []byte("abc"))))
	f.Add(append(wavFile(chunk("fmt ", mono), chunk("data", []byte{1, 2})),
		wavFile(chunk("fmt ", mono), chunk("data", []byte{3, 4}))...))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, _, _ := readWAV(b)
		if len(got) > len(b)/2 {
			t.Fatalf("got %d samples from %d bytes", len(got), len(b))
		}
	})
}

func TestDecoder(t *testing.T) {
	pcm := ttstest.Samples(101)
	raw := le16(pcm)
	tests := []struct {
		name string
		src  io.Reader
		err  error
	}{
		{"one byte a read", iotest.OneByteReader(bytes.NewReader(raw)), nil},
		{"half reads", iotest.HalfReader(bytes.NewReader(raw)), nil},
		{"error with the data", iotest.DataErrReader(bytes.NewReader(raw)), nil},
		{"odd tail dropped", bytes.NewReader(append(bytes.Clone(raw), 7)), nil},
		{"timeout error", iotest.TimeoutReader(bytes.NewReader(raw)), iotest.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decoder{src: tt.src}
			var got []int16
			buf := make([]int16, 13)
			var err error
			for {
				var n int
				n, err = d.read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					break
				}
			}
			if tt.err == nil {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("got %v, want io.EOF", err)
				}
				samePCM(t, got, pcm)
				return
			}
			if !errors.Is(err, tt.err) || !isPrefix(got, pcm) {
				t.Fatalf("got %v after %d samples, want %v after a prefix", err, len(got), tt.err)
			}
		})
	}
}

// loopReader serves b again and again.
type loopReader struct {
	b   []byte
	off int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.b[l.off:])
	l.off = (l.off + n) % len(l.b)
	return n, nil
}

// BenchmarkDecoder measures turning streamed bytes into samples, one
// 20 ms frame at 24 kHz a read, with chunks that split samples.
func BenchmarkDecoder(b *testing.B) {
	d := decoder{src: iotest.HalfReader(&loopReader{b: le16(ttstest.Samples(4801))[:9601]})}
	frame := make([]int16, 480)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.read(frame); err != nil {
			b.Fatal(err)
		}
	}
}
