package vad

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

const (
	question = "What are your opening hours on Saturday"
	request2 = "I would like to speak to someone about my bill"
	// tolerance is how far an event may be from where the speech really
	// starts or ends: a few 32 ms windows.
	tolerance = 150 * time.Millisecond
)

// TestDetectorUtterances pushes two utterances apart, at both rates, and
// checks that each starts near its onset and ends MinSilence after its
// last sound.
func TestDetectorUtterances(t *testing.T) {
	m := testModel(t)
	tr := compose(time.Second, speech(t, question), time.Second, speech(t, request2),
		1500*time.Millisecond)

	for _, rate := range []int{16000, 8000} {
		t.Run(fmt.Sprintf("%d Hz", rate), func(t *testing.T) {
			in := tr
			if rate == 8000 {
				in = tr.at8k(t)
			}
			d := newDetector(t, m, Config{SampleRate: rate})
			events, _ := run(t, d, in.pcm, 0)

			checkOrder(t, events)
			checkUtterances(t, events, in.spans)
			if d.Speaking() {
				t.Error("got speaking after the last speech end")
			}
		})
	}
}

// checkUtterances checks that there is one utterance per span of speech,
// starting near the span's start and ending MinSilence after its end.
func checkUtterances(t *testing.T, events []Event, spans [][2]time.Duration) {
	t.Helper()
	starts, ends := only(events, SpeechStart), only(events, SpeechEnd)
	if len(starts) != len(spans) || len(ends) != len(spans) {
		t.Fatalf("got %d starts and %d ends, want %d each: %v",
			len(starts), len(ends), len(spans), events)
	}
	for i, span := range spans {
		if !within(starts[i].Start, span[0], tolerance) {
			t.Errorf("utterance %d: got speech start at %v, want %v±%v",
				i, starts[i].Start, span[0], tolerance)
		}
		if want := max(span[0]-DefaultPrePadding, 0); starts[i].From > want+tolerance {
			t.Errorf("utterance %d: got audio from %v, want about %v", i, starts[i].From, want)
		}
		if want := span[1] + DefaultMinSilence; !within(ends[i].At, want, tolerance) {
			t.Errorf("utterance %d: got speech end decided at %v, want %v±%v",
				i, ends[i].At, want, tolerance)
		}
		if !within(ends[i].Start, span[1], tolerance) {
			t.Errorf("utterance %d: got speech end at %v, want %v±%v",
				i, ends[i].Start, span[1], tolerance)
		}
	}
}

// TestDetectorPause checks that a short gap inside an utterance gives a
// Pause and a Resume but no end.
func TestDetectorPause(t *testing.T) {
	m := testModel(t)
	tr := compose(time.Second, speech(t, question), 300*time.Millisecond, speech(t, request2),
		1500*time.Millisecond)
	d := newDetector(t, m, Config{})
	events, _ := run(t, d, tr.pcm, 0)

	checkOrder(t, events)
	if got := len(only(events, SpeechStart)); got != 1 {
		t.Fatalf("got %d speech starts, want 1: %v", got, events)
	}
	pauses, resumes := only(events, Pause), only(events, Resume)
	if len(pauses) < 1 || len(resumes) < 1 {
		t.Fatalf("got %d pauses and %d resumes, want at least 1 each: %v",
			len(pauses), len(resumes), events)
	}
	if gapEnd := tr.spans[0][1]; !within(pauses[0].Start, gapEnd, tolerance) {
		t.Errorf("got pause from %v, want %v±%v", pauses[0].Start, gapEnd, tolerance)
	}
	if next := tr.spans[1][0]; !within(resumes[0].Start, next, tolerance) {
		t.Errorf("got resume at %v, want %v±%v", resumes[0].Start, next, tolerance)
	}
	if ends := only(events, SpeechEnd); len(ends) != 1 || ends[0].At < tr.spans[1][1] {
		t.Errorf("got ends %v, want one after %v", ends, tr.spans[1][1])
	}
}

// TestDetectorNoSpeech checks that silence and steady noise start
// nothing.
func TestDetectorNoSpeech(t *testing.T) {
	m := testModel(t)
	const n = 5 * 16000
	tests := []struct {
		name string
		pcm  []int16
		rate int
	}{
		{"digital silence", make([]int16, n), 16000},
		{"quiet noise", noise(n, 100, 1), 16000},
		{"moderate noise", noise(n, 1000, 2), 16000},
		{"moderate noise at 8 kHz", noise(n/2, 1000, 3), 8000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDetector(t, m, Config{SampleRate: tt.rate})
			events, probs := run(t, d, tt.pcm, 0)
			if len(events) != 0 {
				t.Errorf("got events %v, want none", events)
			}
			var top float32
			for _, p := range probs {
				top = max(top, p)
			}
			if top >= d.Config().Threshold {
				t.Errorf("got a window with probability %.2f, want all below %.2f", top, d.Config().Threshold)
			}
		})
	}
}

// TestDetectorFrameSizes checks that the events do not depend on how the
// stream is cut into pushes.
func TestDetectorFrameSizes(t *testing.T) {
	m := testModel(t)
	tr := compose(500*time.Millisecond, speech(t, question), time.Second)
	want, _ := run(t, newDetector(t, m, Config{}), tr.pcm, 0)
	for _, frame := range []int{1, 160, 512, 1000, len(tr.pcm)} {
		t.Run(fmt.Sprint(frame), func(t *testing.T) {
			got, _ := run(t, newDetector(t, m, Config{}), tr.pcm, frame)
			if !sameEvents(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// TestDetectorMinSilence changes MinSilence at run time: a 700 ms gap
// ends the utterance under the default and does not under 1 s.
func TestDetectorMinSilence(t *testing.T) {
	m := testModel(t)
	tr := compose(500*time.Millisecond, speech(t, question), 700*time.Millisecond,
		speech(t, request2), 1500*time.Millisecond)
	tests := []struct {
		name       string
		minSilence time.Duration
		wantEnds   int
	}{
		{"default", 0, 2},
		{"longer", time.Second, 1},
		{"shorter", 300 * time.Millisecond, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDetector(t, m, Config{})
			d.SetMinSilence(tt.minSilence)
			events, _ := run(t, d, tr.pcm, 0)
			checkOrder(t, events)
			if got := len(only(events, SpeechEnd)); got != tt.wantEnds {
				t.Errorf("got %d ends with min silence %v, want %d: %v",
					got, d.MinSilence(), tt.wantEnds, events)
			}
			d.SetMinSilence(0)
			if got, want := d.MinSilence(), DefaultMinSilence; got != want {
				t.Errorf("got min silence %v after SetMinSilence(0), want %v", got, want)
			}
		})
	}
}

// TestDetectorReset checks that a reset detector gives what a new one
// does.
func TestDetectorReset(t *testing.T) {
	m := testModel(t)
	tr := compose(300*time.Millisecond, speech(t, question), time.Second)
	d := newDetector(t, m, Config{})
	first, _ := run(t, d, tr.pcm[:len(tr.pcm)/2], 0)
	if len(first) == 0 {
		t.Fatal("got no events from the first half")
	}
	d.Reset()
	if d.Offset() != 0 || d.Speaking() || d.Probability() != 0 {
		t.Fatalf("got offset %v, speaking %v, probability %v after reset, want zeros",
			d.Offset(), d.Speaking(), d.Probability())
	}
	got, _ := run(t, d, tr.pcm, 0)
	want, _ := run(t, newDetector(t, m, Config{}), tr.pcm, 0)
	if !sameEvents(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestDetectorsConcurrent runs many detectors at once, so that the
// model's workers batch their windows, and checks every window's
// probability against a detector run alone.
func TestDetectorsConcurrent(t *testing.T) {
	m := testModel(t)
	a, b := speech(t, question), speech(t, request2)
	const streams = 24
	tracks := make([]track, streams)
	alone := make([][]float32, streams)
	for i := range tracks {
		tracks[i] = compose(time.Duration(i*23)*time.Millisecond, a, 400*time.Millisecond, b)
		if i%3 == 2 {
			tracks[i] = tracks[i].at8k(t)
		}
		d := newDetector(t, m, Config{SampleRate: tracks[i].rate})
		_, alone[i] = run(t, d, tracks[i].pcm, 0)
	}

	together := make([][]float32, streams)
	before := m.Stats()
	var wg sync.WaitGroup
	for i := range tracks {
		wg.Go(func() {
			d := newDetector(t, m, Config{SampleRate: tracks[i].rate})
			_, together[i] = run(t, d, tracks[i].pcm, 0)
		})
	}
	wg.Wait()
	after := m.Stats()
	t.Logf("%d windows in %d runs", after.Windows-before.Windows, after.Batches-before.Batches)

	for i := range tracks {
		if len(together[i]) != len(alone[i]) {
			t.Fatalf("stream %d: got %d windows, want %d", i, len(together[i]), len(alone[i]))
		}
		for k := range alone[i] {
			if d := together[i][k] - alone[i][k]; d > 1e-4 || d < -1e-4 {
				t.Fatalf("stream %d window %d: got %v, want %v", i, k, together[i][k], alone[i][k])
			}
		}
	}
}

// TestPushAllocs checks that pushing frames, windows included, allocates
// nothing.
func TestPushAllocs(t *testing.T) {
	m := testModel(t)
	tr := compose(200*time.Millisecond, speech(t, question), 800*time.Millisecond)
	d := newDetector(t, m, Config{})
	frame := 0
	allocs := testing.AllocsPerRun(500, func() {
		i := (frame * 320) % (len(tr.pcm) - 320)
		frame++
		if _, err := d.Push(tr.pcm[i : i+320]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("got %v allocations per push, want 0", allocs)
	}
}

func TestNewDetectorErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"44.1 kHz", Config{SampleRate: 44100}, ErrSampleRate},
		{"threshold above 1", Config{Threshold: 1.2}, ErrConfig},
		{"neg above threshold", Config{Threshold: 0.5, NegThreshold: 0.6}, ErrConfig},
		{"negative min speech", Config{MinSpeech: -time.Millisecond}, ErrConfig},
		{"negative min silence", Config{MinSilence: -time.Millisecond}, ErrConfig},
		{"no model", Config{}, ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewDetector(nil, tt.cfg); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantNeg float32
	}{
		{"zero", Config{}, 0.35},
		{"high threshold", Config{Threshold: 0.8}, 0.65},
		{"low threshold", Config{Threshold: 0.1}, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			if err := c.fill(); err != nil {
				t.Fatal(err)
			}
			if c.SampleRate != 16000 || c.MinSilence != DefaultMinSilence ||
				c.PauseAfter != DefaultPauseAfter {
				t.Errorf("got %+v, want 16 kHz and default durations", c)
			}
			if d := c.NegThreshold - tt.wantNeg; d > 1e-6 || d < -1e-6 {
				t.Errorf("got neg threshold %v, want %v", c.NegThreshold, tt.wantNeg)
			}
		})
	}
}

func only(events []Event, typ EventType) []Event {
	var out []Event
	for _, e := range events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// checkOrder checks the grammar of events: each utterance is a start,
// pause and resume pairs, maybe a last pause, and an end.
func checkOrder(t *testing.T, events []Event) {
	t.Helper()
	next := map[EventType][]EventType{
		0:           {SpeechStart},
		SpeechStart: {Pause, SpeechEnd},
		Pause:       {Resume, SpeechEnd},
		Resume:      {Pause, SpeechEnd},
		SpeechEnd:   {SpeechStart},
	}
	var prev EventType
	var last time.Duration
	for _, e := range events {
		ok := false
		for _, n := range next[prev] {
			ok = ok || n == e.Type
		}
		if !ok || e.At < last || e.Start > e.At || e.From > e.Start {
			t.Fatalf("got %v after %v at %v, out of order: %v", e, prev, last, events)
		}
		prev, last = e.Type, e.At
	}
}

func sameEvents(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Type != y.Type || x.Start != y.Start || x.At != y.At || x.From != y.From {
			return false
		}
	}
	return true
}
