package dialog

import (
	"slices"
	"testing"
	"time"
)

func TestVoiceRecognitionFailure(t *testing.T) {
	tests := []struct {
		name, marker string
	}{
		{"start refused", failStart},
		{"finish fails", failFinish},
		{"finish hangs", hangFinish},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &fakeReplier{firstToken: 300 * time.Millisecond}
			r := runCall(t, callSetup{replier: rep, steps: []step{{
				when: afterAgent(400 * time.Millisecond), say: tt.marker,
				audio: callerSpeech(t, "What are your opening hours?"),
			}}})

			notHeard := defaultPrompts().NotHeard
			texts, _ := r.heard()
			if !slices.Contains(texts, notHeard) {
				t.Fatalf("got heard %q, want the apology %q", texts, notHeard)
			}
			spoke := r.p.stepTicks[0] + frameTicks(durationOf(int64(len(r.p.steps[0].audio))))
			if gap := time.Duration(r.firstTick(notHeard, spoke)-spoke) * 20 * time.Millisecond; gap > 3500*time.Millisecond {
				t.Errorf("got the apology %v after the caller stopped, want at most 3.5 s", gap)
			}
			if got := len(rep.requests()); got != 0 {
				t.Errorf("got %d replies, want none", got)
			}
		})
	}
}

func TestVoiceSynthesisFailure(t *testing.T) {
	rep := &fakeReplier{firstToken: 300 * time.Millisecond, answers: map[string]string{"hours": hoursAnswer}}
	tts := newFakeTTS()
	tts.fail = true
	r := runCall(t, callSetup{replier: rep, tts: tts, steps: []step{
		{when: after(time.Second), say: "What are your opening hours?"},
		{when: after(3 * time.Second), say: "Hello?"},
	}, until: atTick(frameTicks(9 * time.Second))})

	if got := len(rep.requests()); got != 2 {
		t.Errorf("got %d replies, want 2: the call goes on without speech", got)
	}
	if got := metricValue(t, r.reg, "voiced_voice_failures_total", "tts"); got < 3 {
		t.Errorf("got %v synthesis failures counted, want at least 3", got)
	}
	if len(r.turns) != 2 || r.turns[0].Role != "user" || r.turns[1].Role != "user" {
		t.Errorf("got turns %+v, want the caller's two, and nothing unheard", r.turns)
	}
}

func TestVoiceReplyFailure(t *testing.T) {
	rep := &fakeReplier{firstToken: 300 * time.Millisecond, fail: true}
	r := runCall(t, callSetup{replier: rep, steps: []step{
		{when: afterAgent(400 * time.Millisecond), say: "What are your opening hours?"},
	}})
	texts, _ := r.heard()
	if want := []string{"Hello, how can I help?", defaultPrompts().Failure}; !slices.Equal(texts, want) {
		t.Errorf("got heard %q, want %q", texts, want)
	}
	if got := metricValue(t, r.reg, "voiced_voice_failures_total", "reply"); got != 1 {
		t.Errorf("got %v reply failures counted, want 1", got)
	}
}
