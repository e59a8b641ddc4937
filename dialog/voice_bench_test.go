package dialog

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/vad"
)

// benchVoice is a controller on fakes, not running.
func benchVoice(b *testing.B, det SpeechDetector, rep Replier) (*Voice, *fakeLine) {
	b.Helper()
	line := &fakeLine{playout: media.NewPlayout()}
	tts := newFakeTTS()
	tts.delay = 30 * time.Millisecond
	rec := &fakeASR{finishDelay: 20 * time.Millisecond}
	rec.say("Can I pay by card?", 1)
	v, err := NewVoice(VoiceConfig{Line: line, Replier: rep, Recognizer: rec,
		Synthesizer: tts, NewDetector: func() (SpeechDetector, error) { return det, nil },
		TenantID: "acme", Agent: Agent{Name: "helper"}})
	if err != nil {
		b.Fatal(err)
	}
	return v, line
}

// BenchmarkPushAudio is the media clock's cost of handing the caller's
// frame to the controller.
func BenchmarkPushAudio(b *testing.B) {
	v, _ := benchVoice(b, &energyDetector{}, &fakeReplier{})
	frame := make([]int16, 320)
	b.ReportAllocs()
	for b.Loop() {
		v.PushAudio(frame)
	}
}

// BenchmarkVoiceFrame is the event loop's cost of one frame of the
// caller's silence: ring, detector, recognizer feed.
func BenchmarkVoiceFrame(b *testing.B) {
	v, _ := benchVoice(b, &energyDetector{}, &fakeReplier{})
	v.det = &energyDetector{}
	frame := make([]int16, 320)
	b.ReportAllocs()
	for b.Loop() {
		v.PushAudio(frame)
		v.drainAudio()
	}
}

// scriptDetector reports the events the benchmark sets before a frame.
type scriptDetector struct {
	next atomic.Pointer[[]vad.Event]
	at   time.Duration
}

func (d *scriptDetector) Push(pcm []int16) ([]vad.Event, error) {
	d.at += durationOf(int64(len(pcm)))
	evs := d.next.Swap(nil)
	if evs == nil {
		return nil, nil
	}
	for i := range *evs {
		(*evs)[i].Start, (*evs)[i].At, (*evs)[i].From = d.at, d.at, max(0, d.at-300*time.Millisecond)
	}
	return *evs, nil
}

func (d *scriptDetector) SetMinSilence(time.Duration) {}

// BenchmarkVoiceTurnOverhead measures what the controller adds to a
// turn: from the end of the caller's turn to the first sample of the
// answer taken by the playout, less the fixed latencies of the fake
// models (recognizer 20 ms, first token 50 ms, first audio 30 ms).
func BenchmarkVoiceTurnOverhead(b *testing.B) {
	const models = 100 * time.Millisecond
	det := &scriptDetector{}
	v, line := benchVoice(b, det, &fakeReplier{firstToken: 50 * time.Millisecond, def: "Sure."})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	frame, out := make([]int16, 320), make([]int16, 320)
	push := func(evs ...vad.Event) {
		if len(evs) > 0 {
			det.next.Store(&evs)
		}
		v.PushAudio(frame)
	}
	var overhead time.Duration
	for b.Loop() {
		push(vad.Event{Type: vad.SpeechStart})
		for range 5 {
			time.Sleep(2 * time.Millisecond)
			push()
		}
		start := time.Now()
		push(vad.Event{Type: vad.SpeechEnd})
		for line.playout.Read(out) == 0 {
			time.Sleep(50 * time.Microsecond)
		}
		overhead += time.Since(start) - models
		for line.playout.Read(out) > 0 {
		}
		time.Sleep(2 * time.Millisecond) // the loop notices the answer was played
	}
	b.ReportMetric(float64(overhead.Microseconds())/float64(b.N), "overhead-µs/turn")
}
