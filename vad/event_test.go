package vad

import (
	"fmt"
	"testing"
)

// TestMachine drives the state machine with made-up probabilities, one
// per 32 ms window of 512 samples, and checks the events and where they
// begin (in windows).
func TestMachine(t *testing.T) {
	const w = 512 // samples per window
	base := machine{
		thr: 0.5, neg: 0.35,
		minSpeech: 3 * w, prePad: 4 * w, pauseAfter: 5 * w, minSilence: 10 * w,
	}
	q := func(n int) []float32 { return repeat(0.1, n) }
	s := func(n int) []float32 { return repeat(0.9, n) }
	mid := func(n int) []float32 { return repeat(0.4, n) }

	tests := []struct {
		name  string
		probs []float32
		cfg   func(*machine)
		want  []string // "type@startWindow"
	}{
		{"silence", q(50), nil, nil},
		{"too short to start", cat(q(5), s(2), q(20)), nil, nil},
		{"start after min speech", cat(q(5), s(3), q(1)), nil,
			[]string{"speech_start@5"}},
		{"between thresholds keeps an onset", cat(q(5), s(1), mid(1), s(1)), nil,
			[]string{"speech_start@5"}},
		{"quiet cancels an onset", cat(q(5), s(2), q(1), s(2), q(10)), nil, nil},
		{"pause then end", cat(q(2), s(5), q(12)), nil,
			[]string{"speech_start@2", "pause@7", "speech_end@7"}},
		{"pause then resume", cat(q(2), s(5), q(6), s(2)), nil,
			[]string{"speech_start@2", "pause@7", "resume@13"}},
		{"gap shorter than pause", cat(q(2), s(5), q(4), s(2), q(3)), nil,
			[]string{"speech_start@2"}},
		{"between thresholds neither starts nor breaks quiet",
			cat(q(2), s(5), q(2), mid(8)), nil,
			[]string{"speech_start@2", "pause@7", "speech_end@7"}},
		{"between thresholds does not start quiet", cat(q(2), s(5), mid(20)), nil,
			[]string{"speech_start@2"}},
		{"short min silence skips the pause", cat(q(2), s(5), q(12)),
			func(m *machine) { m.minSilence = 4 * w },
			[]string{"speech_start@2", "speech_end@7"}},
		{"two utterances", cat(q(2), s(4), q(10), s(4), q(10)), nil,
			[]string{"speech_start@2", "pause@6", "speech_end@6",
				"speech_start@16", "pause@20", "speech_end@20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base
			if tt.cfg != nil {
				tt.cfg(&m)
			}
			m.reset()
			var got []string
			for i, p := range tt.probs {
				typ, at := m.observe(p, int64(i)*w, int64(i+1)*w)
				if typ != 0 {
					got = append(got, fmt.Sprintf("%v@%d", typ, at/w))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMachineFrom checks the pre-padded start of an utterance: clamped
// at the stream's start and at the previous utterance's end.
func TestMachineFrom(t *testing.T) {
	const w = 512
	m := machine{
		thr: 0.5, neg: 0.35,
		minSpeech: w, prePad: 4 * w, pauseAfter: 2 * w, minSilence: 3 * w,
	}
	m.reset()
	q := func(n int) []float32 { return repeat(0.1, n) }
	s := func(n int) []float32 { return repeat(0.9, n) }
	probs := cat(q(2), s(3), q(3), s(2), q(10), s(1))
	var got []int64
	for i, p := range probs {
		if typ, _ := m.observe(p, int64(i)*w, int64(i+1)*w); typ == SpeechStart {
			got = append(got, m.from/w)
		}
	}
	want := []int64{0, 5, 16}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got starts from windows %v, want %v", got, want)
	}
}

func repeat(p float32, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = p
	}
	return out
}

func cat(parts ...[]float32) []float32 {
	var out []float32
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestEventTypeString(t *testing.T) {
	tests := []struct {
		typ  EventType
		want string
	}{
		{SpeechStart, "speech_start"}, {Pause, "pause"}, {Resume, "resume"},
		{SpeechEnd, "speech_end"}, {0, "unknown"},
	}
	for _, tt := range tests {
		if got := tt.typ.String(); got != tt.want {
			t.Errorf("EventType(%d).String() = %q, want %q", tt.typ, got, tt.want)
		}
	}
}
