package media

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// side returns n samples that differ per frame, per side and per sample,
// so that a swapped channel or a lost frame shows.
func side(frame, n int, agent bool) []int16 {
	out := make([]int16, n)
	for i := range out {
		v := int16(frame*97 + i*13 + 1)
		if agent {
			v = -v - 7
		}
		out[i] = v
	}
	return out
}

// interleaved is what a recording of these sides must hold.
func interleaved(left, right []int16, n int) []int16 {
	out := make([]int16, 0, 2*n)
	for i := range n {
		var l, r int16
		if left != nil {
			l = left[i]
		}
		if right != nil {
			r = right[i]
		}
		out = append(out, l, r)
	}
	return out
}

func readWAVFile(t testing.TB, path string) *WAV {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := ReadWAV(f)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return w
}

func TestRecorderRoundTrip(t *testing.T) {
	tests := []struct {
		name        string
		size        int
		left, right bool
	}{
		{"both sides", 320, true, true},
		{"caller only", 320, true, false},
		{"agent only", 320, false, true},
		{"silence", 320, false, false},
		{"short frames", 160, true, true},
		{"frames larger than the buffer", 960, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "calls", "c1.wav")
			rec, err := CreateRecorder(path)
			if err != nil {
				t.Fatal(err)
			}
			var want []int16
			for f := range 120 {
				var l, r []int16
				if tt.left {
					l = side(f, tt.size, false)
				}
				if tt.right {
					r = side(f, tt.size, true)
				}
				n, _ := frameLen(l, r)
				want = append(want, interleaved(l, r, n)...)
				if err := rec.WriteFrame(l, r); err != nil {
					t.Fatalf("frame %d: %v", f, err)
				}
			}
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}

			got := readWAVFile(t, path)
			if got.Rate != PipelineRate || got.Channels != 2 {
				t.Fatalf("got %d Hz, %d channels, want %d Hz, 2", got.Rate, got.Channels, PipelineRate)
			}
			if !slices.Equal(got.Samples, want) {
				t.Fatalf("got %d samples, want %d, or they differ", len(got.Samples), len(want))
			}
		})
	}
}

func TestRecorderErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.wav")
	rec, err := CreateRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.WriteFrame(make([]int16, 320), make([]int16, 160)); !errors.Is(err, ErrFrameMismatch) {
		t.Fatalf("got %v for sides of 320 and 160, want ErrFrameMismatch", err)
	}
	if _, err := CreateRecorder(path); !errors.Is(err, os.ErrExist) {
		t.Fatalf("got %v creating over a recording, want os.ErrExist", err)
	}
	for i := range 2 {
		if err := rec.Close(); err != nil {
			t.Fatalf("close %d: got %v, want nil", i, err)
		}
	}
	if err := rec.WriteFrame(nil, nil); !errors.Is(err, ErrRecorderClosed) {
		t.Fatalf("got %v after close, want ErrRecorderClosed", err)
	}
	if got := readWAVFile(t, path); len(got.Samples) != 0 {
		t.Fatalf("got %d samples, want 0: the rejected frame was written", len(got.Samples))
	}
}

func TestRecorderHeaderFollowsEverySecond(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.wav")
	rec, err := CreateRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()

	tests := []struct {
		frames, wantFrames int // cumulative frames written, frames the header states
	}{
		{0, 0}, {49, 0}, {50, 50}, {99, 50}, {100, 100}, {130, 100},
	}
	written := 0
	for _, tt := range tests {
		for ; written < tt.frames; written++ {
			if err := rec.WriteFrame(side(written, 320, false), side(written, 320, true)); err != nil {
				t.Fatal(err)
			}
		}
		// Unrepaired, the file plays up to the last header update.
		got := readWAVFile(t, path)
		if want := tt.wantFrames * 320 * 2; len(got.Samples) != want {
			t.Fatalf("after %d frames: got %d samples, want %d", tt.frames, len(got.Samples), want)
		}
		fi, _ := os.Stat(path)
		if want := int64(recHeaderSize + tt.frames*320*recBlock); fi.Size() != want {
			t.Fatalf("after %d frames: file has %d bytes, want %d", tt.frames, fi.Size(), want)
		}
	}
}

// TestRecordingRepairAfterCrash copies a recording that was never closed at random
// moments, some inside a frame, as a killed process would leave it.
func TestRecordingRepairAfterCrash(t *testing.T) {
	dir := t.TempDir()
	rec, err := CreateRecorder(filepath.Join(dir, "live.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	var want []int16
	for f := range 170 {
		l, r := side(f, 320, false), side(f, 320, true)
		want = append(want, interleaved(l, r, 320)...)
		if err := rec.WriteFrame(l, r); err != nil {
			t.Fatal(err)
		}
		if f%17 != 3 && f != 149 {
			continue
		}
		live, err := os.ReadFile(filepath.Join(dir, "live.wav"))
		if err != nil {
			t.Fatal(err)
		}
		for _, cut := range []int{len(live), len(live) - 1 - rng.IntN(320*recBlock-1)} {
			checkCrashCopy(t, live[:cut], want)
		}
	}
}

func checkCrashCopy(t *testing.T, file []byte, want []int16) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crashed.wav")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	repaired, err := RepairWAV(path)
	if err != nil {
		t.Fatalf("repair %d bytes: %v", len(file), err)
	}
	stereo := (len(file) - recHeaderSize) / recBlock
	got := readWAVFile(t, path)
	if !slices.Equal(got.Samples, want[:2*stereo]) {
		t.Fatalf("repaired %d bytes (repaired=%v): got %d samples, want the first %d",
			len(file), repaired, len(got.Samples), 2*stereo)
	}
	if again, err := RepairWAV(path); again || err != nil {
		t.Fatalf("second repair: got %v, %v, want false, nil", again, err)
	}
}

func TestRecordingRepairRefusesForeign(t *testing.T) {
	var ours [recHeaderSize]byte
	putRecordingHeader(&ours, 0)
	otherRate := ours
	otherRate[24] = 0x40 // 8000 Hz
	var canonical bytes.Buffer
	(&WAV{Rate: PipelineRate, Channels: 2, Samples: make([]int16, 64)}).WriteTo(&canonical)

	tests := []struct {
		name string
		file []byte
	}{
		{"empty", nil},
		{"shorter than the header", ours[:40]},
		{"text", bytes.Repeat([]byte("not audio at all "), 10)},
		{"stereo 16 kHz wav by another writer", append(canonical.Bytes(), "trailing chunk"...)},
		{"our header at another rate", append(otherRate[:], 1, 2, 3, 4, 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.wav")
			if err := os.WriteFile(path, tt.file, 0o600); err != nil {
				t.Fatal(err)
			}
			repaired, err := RepairWAV(path)
			if repaired || !errors.Is(err, ErrNotRecording) {
				t.Fatalf("got %v, %v, want false, ErrNotRecording", repaired, err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, tt.file) {
				t.Fatal("the foreign file was modified")
			}
		})
	}
}

func TestRepairRecordings(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, frames, extra int, closed bool) string {
		path := filepath.Join(dir, name)
		rec, err := CreateRecorder(path)
		if err != nil {
			t.Fatal(err)
		}
		for f := range frames {
			rec.WriteFrame(side(f, 320, false), nil)
		}
		if closed {
			rec.Close()
		}
		if extra > 0 {
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			f.Write(make([]byte, extra))
			f.Close()
		}
		return path
	}
	write("a/crashed.wav", 70, 3, false)
	write("a/b/CRASHED.WAV", 20, 0, false)
	write("done.wav", 70, 0, true)
	foreign := []byte("RIFF and then something else entirely")
	os.WriteFile(filepath.Join(dir, "a", "foreign.wav"), foreign, 0o600)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600)

	n, err := RepairRecordings(dir)
	if n != 2 || err != nil {
		t.Fatalf("got %d, %v, want 2, nil", n, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a", "foreign.wav")); !bytes.Equal(got, foreign) {
		t.Fatal("the foreign wav was modified")
	}
	if n, err := RepairRecordings(dir); n != 0 || err != nil {
		t.Fatalf("second run: got %d, %v, want 0, nil", n, err)
	}
	if n, err := RepairRecordings(filepath.Join(dir, "missing")); n != 0 || err != nil {
		t.Fatalf("missing folder: got %d, %v, want 0, nil", n, err)
	}
}

func FuzzRepairWAV(f *testing.F) {
	dir := f.TempDir()
	rec, err := CreateRecorder(filepath.Join(dir, "seed.wav"))
	if err != nil {
		f.Fatal(err)
	}
	// Short frames keep the seeds small, which keeps minimizing fast.
	for i := range 6 {
		rec.WriteFrame(side(i, 4, false), side(i, 4, true))
	}
	crashed, _ := os.ReadFile(filepath.Join(dir, "seed.wav"))
	rec.Close()
	closed, _ := os.ReadFile(filepath.Join(dir, "seed.wav"))
	f.Add(crashed)
	f.Add(closed)
	f.Add(closed[:recHeaderSize+7])
	f.Add(closed[:recHeaderSize])
	f.Add(closed[:30])
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt "))

	// The fuzzed file lives in memory: repairRecording is RepairWAV less
	// the opening, and disk I/O would make runs slow and coverage noisy.
	f.Fuzz(func(t *testing.T, file []byte) {
		// Nothing in a repair depends on length beyond a few frames, and
		// minimizing long inputs takes the fuzzer minutes.
		if len(file) > 512 {
			t.Skip()
		}
		m := &memFile{b: slices.Clone(file)}
		_, err := repairRecording(m, int64(len(file)))
		if errors.Is(err, ErrNotRecording) {
			if !bytes.Equal(m.b, file) {
				t.Fatal("a refused file was modified")
			}
			return
		}
		if err != nil {
			t.Fatalf("repair: %v", err)
		}
		w, err := ReadWAV(bytes.NewReader(m.b))
		if err != nil {
			t.Fatalf("read the repaired file: %v", err)
		}
		wantSamples := (len(file) - recHeaderSize) / recBlock * 2
		if w.Channels != 2 || w.Rate != PipelineRate || len(w.Samples) != wantSamples {
			t.Fatalf("got %d channels at %d Hz with %d samples from %d bytes",
				w.Channels, w.Rate, len(w.Samples), len(file))
		}
		if again, err := repairRecording(m, int64(len(m.b))); again || err != nil {
			t.Fatalf("second repair: got %v, %v, want false, nil", again, err)
		}
	})
}

// memFile is a recordingFile in memory.
type memFile struct{ b []byte }

func (m *memFile) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(m.b).ReadAt(p, off)
}

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if end := int(off) + len(p); end > len(m.b) {
		m.b = append(m.b, make([]byte, end-len(m.b))...)
	}
	return copy(m.b[off:], p), nil
}

func (m *memFile) Truncate(size int64) error {
	m.b = m.b[:size]
	return nil
}

func BenchmarkRecorderWriteFrame(b *testing.B) {
	left, right := side(1, 320, false), side(2, 320, true)
	dir := b.TempDir()
	var rec *Recorder
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// A new file every five minutes of audio keeps the disk use small.
		if i%15000 == 0 {
			b.StopTimer()
			if rec != nil {
				rec.Close()
				os.Remove(filepath.Join(dir, "bench.wav"))
			}
			var err error
			if rec, err = CreateRecorder(filepath.Join(dir, "bench.wav")); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		if err := rec.WriteFrame(left, right); err != nil {
			b.Fatal(err)
		}
	}
	rec.Close()
}
