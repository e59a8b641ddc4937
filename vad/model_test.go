package vad

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// streamWindows cuts pcm into the windows a Detector would give the model,
// context included.
func streamWindows(pcm []int16, rate int) [][]float32 {
	chunk, ctx := ChunkSize(rate), ContextSize(rate)
	var out [][]float32
	prev := make([]float32, ctx)
	for i := 0; i+chunk <= len(pcm); i += chunk {
		w := make([]float32, ctx+chunk)
		copy(w, prev)
		for j, s := range pcm[i : i+chunk] {
			w[ctx+j] = float32(s) / 32768
		}
		copy(prev, w[chunk:])
		out = append(out, w)
	}
	return out
}

// TestInferBatchMatchesSingle runs streams window by window, once alone
// with Infer and once as batches with InferBatch, and compares the
// probabilities and states.
func TestInferBatchMatchesSingle(t *testing.T) {
	m := testModel(t)
	a := speech(t, "What are your opening hours on Saturday")
	b := speech(t, "I would like to speak to someone about my bill")

	tests := []struct {
		name    string
		rate    int
		streams int
	}{
		{"one stream", 16000, 1},
		{"five streams", 16000, 5},
		{"max batch", 16000, DefaultMaxBatch},
		{"more than max batch", 16000, DefaultMaxBatch + 8},
		{"8 kHz", 8000, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams := make([][][]float32, tt.streams)
			for i := range streams {
				// Each stream starts its speech at a different point and
				// carries its own noise, so no two rows are alike.
				offset := time.Duration(i*37) * time.Millisecond
				tr := compose(200*time.Millisecond+offset, a, 300*time.Millisecond, b)
				mix(tr.pcm, noise(len(tr.pcm), 60, uint64(i)))
				if tt.rate == 8000 {
					tr = tr.at8k(t)
				}
				streams[i] = streamWindows(tr.pcm[:len(tr.pcm)/2], tt.rate)
			}
			compareBatch(t, m, tt.rate, streams)
		})
	}
}

func compareBatch(t *testing.T, m *Model, rate int, streams [][][]float32) {
	t.Helper()
	n := len(streams[0])
	single := make([]State, len(streams))
	batched := make([]State, len(streams))
	states := make([]*State, len(streams))
	windows := make([][]float32, len(streams))
	probs := make([]float32, len(streams))
	var worst float64
	for k := range n {
		for i := range streams {
			windows[i], states[i] = streams[i][k], &batched[i]
		}
		if err := m.InferBatch(rate, windows, states, probs); err != nil {
			t.Fatal(err)
		}
		for i := range streams {
			p, err := m.Infer(rate, streams[i][k], &single[i])
			if err != nil {
				t.Fatal(err)
			}
			worst = max(worst, math.Abs(float64(p-probs[i])))
		}
	}
	if worst > 1e-4 {
		t.Errorf("got probabilities up to %g apart, want at most 1e-4", worst)
	}
	for i := range streams {
		for j := range single[i] {
			if d := math.Abs(float64(single[i][j] - batched[i][j])); d > 1e-3 {
				t.Fatalf("stream %d: got states %g apart at %d, want at most 1e-3", i, d, j)
			}
		}
	}
}

func mix(dst, src []int16) {
	for i := range dst {
		dst[i] = int16(max(-32768, min(32767, int(dst[i])+int(src[i]))))
	}
}

func TestInferErrors(t *testing.T) {
	m := testModel(t)
	var st State
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"rate", func() error {
			_, err := m.Infer(44100, make([]float32, 576), &st)
			return err
		}, ErrSampleRate},
		{"window without context", func() error {
			_, err := m.Infer(16000, make([]float32, 512), &st)
			return err
		}, ErrWindowSize},
		{"8 kHz window at 16 kHz", func() error {
			_, err := m.Infer(16000, make([]float32, InputSize(8000)), &st)
			return err
		}, ErrWindowSize},
		{"batch lengths", func() error {
			return m.InferBatch(16000, make([][]float32, 2), []*State{&st}, make([]float32, 2))
		}, ErrBatchSize},
		{"batch window", func() error {
			return m.InferBatch(8000, [][]float32{make([]float32, 10)}, []*State{&st}, make([]float32, 1))
		}, ErrWindowSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewModelErrors(t *testing.T) {
	testModel(t) // loads the runtime, or skips
	notModel := filepath.Join(t.TempDir(), "not.onnx")
	if err := os.WriteFile(notModel, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := runtimeLib.path

	tests := []struct {
		name string
		cfg  ModelConfig
		want error // nil: any error
	}{
		{"another library", ModelConfig{LibraryPath: "/elsewhere/libonnxruntime.so.1"},
			ErrLibraryMismatch},
		{"not a model", ModelConfig{LibraryPath: lib, ModelPath: notModel}, nil},
		{"missing model", ModelConfig{LibraryPath: lib, ModelPath: notModel + ".missing"}, nil},
		{"negative batch", ModelConfig{LibraryPath: lib, MaxBatch: -1}, ErrConfig},
		{"negative concurrency", ModelConfig{LibraryPath: lib, Concurrency: -1}, ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewModel(tt.cfg)
			if err == nil {
				m.Close()
				t.Fatal("got a model, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestModelClose checks that a closed Model refuses work, from Infer and
// from Detectors, and that Close is idempotent.
func TestModelClose(t *testing.T) {
	testModel(t)
	m, err := NewModel(ModelConfig{MaxBatch: 4, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	d := newDetector(t, m, Config{})
	if _, err := d.Push(make([]int16, 1024)); err != nil {
		t.Fatalf("push before close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}

	var st State
	if _, err := m.Infer(16000, make([]float32, InputSize(16000)), &st); !errors.Is(err, ErrClosed) {
		t.Errorf("infer after close: got %v, want %v", err, ErrClosed)
	}
	if _, err := d.Push(make([]int16, 1024)); !errors.Is(err, ErrClosed) {
		t.Errorf("push after close: got %v, want %v", err, ErrClosed)
	}
	if got, want := d.Offset(), 2048*time.Second/16000; got != want {
		t.Errorf("got offset %v after a failed push, want %v", got, want)
	}
}

func TestRuntimeVersion(t *testing.T) {
	testModel(t)
	if got := RuntimeVersion(); got == "" {
		t.Error("got an empty runtime version with a model loaded")
	}
}
