package vad

import (
	"sync/atomic"
	"testing"
	"time"
)

// benchSpeech is a 16 kHz track of speech and silence that benchmarks
// loop over, so the model sees what it sees in a call.
func benchSpeech(b *testing.B) []int16 {
	b.Helper()
	return compose(300*time.Millisecond, speech(b, question), 500*time.Millisecond).pcm
}

// BenchmarkDetectorPush measures one stream's cost per 20 ms frame: the
// window inference (once every 1.6 frames) through the model's worker,
// and the state machine.
func BenchmarkDetectorPush(b *testing.B) {
	m := testModel(b)
	pcm := benchSpeech(b)
	d := newDetector(b, m, Config{})
	const frame = 320
	frames := len(pcm) / frame

	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := i % frames
		i++
		if _, err := d.Push(pcm[k*frame : (k+1)*frame]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetectorPushParallel measures the cost per 20 ms frame with
// 32 streams pushing at once, whose windows the worker batches.
func BenchmarkDetectorPushParallel(b *testing.B) {
	m := testModel(b)
	pcm := benchSpeech(b)
	const frame = 320
	frames := len(pcm) / frame
	var seed atomic.Int64
	before := m.Stats()

	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		d := newDetector(b, m, Config{})
		k := int(seed.Add(7)) % frames
		for pb.Next() {
			if _, err := d.Push(pcm[k*frame : (k+1)*frame]); err != nil {
				b.Error(err)
				return
			}
			k = (k + 1) % frames
		}
	})
	after := m.Stats()
	if runs := after.Batches - before.Batches; runs > 0 {
		b.ReportMetric(float64(after.Windows-before.Windows)/float64(runs), "windows/run")
	}
}

// BenchmarkInferSingle measures one 32 ms window run alone.
func BenchmarkInferSingle(b *testing.B) {
	m := testModel(b)
	windows := streamWindows(benchSpeech(b), 16000)
	var st State

	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := m.Infer(16000, windows[i%len(windows)], &st); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkInferBatch32 measures 32 streams' windows run as one batch,
// and reports the cost per window.
func BenchmarkInferBatch32(b *testing.B) {
	m := testModel(b)
	all := streamWindows(benchSpeech(b), 16000)
	const n = 32
	states := make([]*State, n)
	for i := range states {
		states[i] = new(State)
	}
	windows := make([][]float32, n)
	probs := make([]float32, n)

	b.ReportAllocs()
	k := 0
	for b.Loop() {
		for i := range windows {
			windows[i] = all[(k+i*5)%len(all)]
		}
		k++
		if err := m.InferBatch(16000, windows, states, probs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/window")
}
