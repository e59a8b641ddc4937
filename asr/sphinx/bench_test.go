package sphinx

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/voiced/voiced/asr"
)

// cpuTime is the process's user and system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDecode decodes a 2.7 s question whole, streamed in 20 ms
// frames: cpu-s/audio-s is the real-time factor in CPU time, which bounds
// how many callers one core can serve.
func BenchmarkDecode(b *testing.B) {
	b.Run("generic", func(b *testing.B) {
		benchmarkDecode(b, Config{Decoders: 1})
	})
	b.Run("corpus", func(b *testing.B) {
		benchmarkDecode(b, Config{Decoders: 1, Corpus: demoCorpus(b)})
	})
}

func benchmarkDecode(b *testing.B, cfg Config) {
	r := newRecognizer(b, cfg)
	pcm := speak(b, "What is the number of the gas emergency line")
	audio := time.Duration(len(pcm)) * time.Second / asr.SampleRate

	b.ReportAllocs()
	began, cpu := time.Now(), cpuTime(b)
	n := 0
	for b.Loop() {
		if _, err := decode(r, pcm); err != nil {
			b.Fatal(err)
		}
		n++
	}
	total := audio.Seconds() * float64(n)
	b.ReportMetric((cpuTime(b)-cpu).Seconds()/total, "cpu-s/audio-s")
	b.ReportMetric(time.Since(began).Seconds()/total, "wall-s/audio-s")
}

// BenchmarkWrite is the per-frame hot path: one 20 ms frame of speech
// into an utterance in progress. A new utterance starts, untimed, every
// 10 s of audio.
func BenchmarkWrite(b *testing.B) {
	r := newRecognizer(b, Config{Decoders: 1})
	pcm := speak(b, "What is the number of the gas emergency line")
	pcm = pcm[:len(pcm)/frame*frame]
	const perUtterance = 500

	start := func() asr.Session {
		s, err := r.Start(context.Background(), asr.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	s := start()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		off := i * frame % len(pcm)
		if err := s.Write(pcm[off : off+frame]); err != nil {
			b.Fatal(err)
		}
		if i++; i%perUtterance == 0 {
			b.StopTimer()
			s.Close()
			s = start()
			b.StartTimer()
		}
	}
	s.Close()
}
