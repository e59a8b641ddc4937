package dialog

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const hoursAnswer = "We are open from nine to six on weekdays. On Saturday we open from ten to two."

func TestVoiceGreetingQuestionAnswer(t *testing.T) {
	rep := &fakeReplier{firstToken: 300 * time.Millisecond, perWord: 30 * time.Millisecond,
		answers: map[string]string{"hours": hoursAnswer}}
	r := runCall(t, callSetup{replier: rep, steps: []step{
		{when: afterAgent(400 * time.Millisecond), say: "What are your opening hours?"},
	}})

	texts, _ := r.heard()
	want := []string{"Hello, how can I help?", "We are open from nine to six on weekdays.",
		"On Saturday we open from ten to two."}
	if !slices.Equal(texts, want) {
		t.Errorf("got heard %q, want %q", texts, want)
	}

	reqs := rep.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d replies, want 1", len(reqs))
	}
	wantMsgs := []Message{{Role: "assistant", Content: "Hello, how can I help?"},
		{Role: "user", Content: "What are your opening hours?"}}
	if !slices.Equal(reqs[0].Messages, wantMsgs) || !reqs[0].NoRecord {
		t.Errorf("got request messages %v (NoRecord %v), want %v (NoRecord true)",
			reqs[0].Messages, reqs[0].NoRecord, wantMsgs)
	}

	if len(r.turns) != 3 {
		t.Fatalf("got %d turns stored, want 3: %+v", len(r.turns), r.turns)
	}
	for i, w := range []struct{ role, text, mode string }{
		{"assistant", "Hello, how can I help?", ModeGreeting},
		{"user", "What are your opening hours?", ""},
		{"assistant", hoursAnswer, ModeLLM},
	} {
		got := r.turns[i]
		if got.Role != w.role || got.Text != w.text || got.Mode != w.mode {
			t.Errorf("turn %d: got %s %q (%s), want %s %q (%s)", i, got.Role, got.Text, got.Mode,
				w.role, w.text, w.mode)
		}
	}
	for _, k := range []string{StageEndpointWait, StageASR, StageLLMFirstToken, StageTTSFirstByte,
		StageFirstReplyPacket, StageVoiceToVoice, "retrieval"} {
		if _, ok := r.turns[2].Latency[k]; !ok {
			t.Errorf("got latency %v, want key %q", r.turns[2].Latency, k)
		}
	}
	t.Logf("latency: %v", r.turns[2].Latency)
}

func TestVoiceTranscriptTimes(t *testing.T) {
	r := runCall(t, callSetup{steps: []step{
		{when: after(3 * time.Second), say: "What are your opening hours?"},
	}})
	if len(r.turns) < 2 || r.turns[1].Role != "user" {
		t.Fatalf("got turns %+v, want the greeting and a user turn", r.turns)
	}
	start := r.turns[0].At
	spoke := time.Duration(r.p.stepTicks[0]) * 20 * time.Millisecond
	if got := r.turns[1].At.Sub(start); got < spoke-100*time.Millisecond || got > spoke+200*time.Millisecond {
		t.Errorf("got user turn at %v into the call, want about %v", got, spoke)
	}
}

const longAnswer = "We are open from nine to six on weekdays. On Saturday we open from ten to two. " +
	"On Sunday the shop stays closed all day long."

func TestVoiceBargeIn(t *testing.T) {
	rep := &fakeReplier{firstToken: 300 * time.Millisecond, perWord: 250 * time.Millisecond,
		answers: map[string]string{"hours": longAnswer, "parking": "Parking is free behind the building."}}
	r := runCall(t, callSetup{replier: rep, steps: []step{
		{when: afterAgent(400 * time.Millisecond), say: "What are your opening hours?"},
		{when: whileAgent(3 * time.Second), say: "Wait, what about parking?"},
	}})

	s1, s2, s3 := "We are open from nine to six on weekdays.", "On Saturday we open from ten to two.",
		"On Sunday the shop stays closed all day long."
	texts, n := r.heard()
	want := []string{"Hello, how can I help?", s1, s2, "Parking is free behind the building."}
	if !slices.Equal(texts, want) {
		t.Fatalf("got heard %q, want %q", texts, want)
	}
	if n[s2] >= r.tts.samples(s2) || n[s3] != 0 {
		t.Errorf("got %d samples of the cut sentence and %d of the next, want fewer than %d and 0",
			n[s2], n[s3], r.tts.samples(s2))
	}
	if got := rep.cancelled; got != 1 {
		t.Errorf("got %d replies cancelled, want 1", got)
	}

	// The agent stops within a frame of the detector hearing the caller.
	starts := r.speechStarts()
	if len(starts) != 2 {
		t.Fatalf("got speech starts at ticks %v, want 2", starts)
	}
	played := 0
	for _, id := range r.p.agentLog[starts[1]:] {
		if id == r.tts.id(s2) {
			played++
		}
	}
	if played > 1 {
		t.Errorf("got %d frames of the answer after the caller was heard, want at most 1", played)
	}

	reqs := rep.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d replies, want 2", len(reqs))
	}
	msgs := reqs[1].Messages
	heard := msgs[len(msgs)-2].Content
	if !strings.HasPrefix(heard, s1+" On") || !strings.HasPrefix(s1+" "+s2, heard) || heard == s1+" "+s2 {
		t.Errorf("got heard answer %q in the history, want %q and part of %q", heard, s1, s2)
	}
	if got := r.turns[2]; got.Role != "assistant" || got.Text != heard {
		t.Errorf("got stored turn %s %q, want assistant %q", got.Role, got.Text, heard)
	}
	if got := metricValue(t, r.reg, "voiced_barge_ins_total", "interruption"); got != 1 {
		t.Errorf("got %v interruptions counted, want 1", got)
	}
}

func TestVoiceBargeInDismissed(t *testing.T) {
	tests := []struct {
		name, say, sound, outcome string
	}{
		{"noise", "", "ahem", "false"},
		{"backchannel", "Uh-huh.", "uh huh", "backchannel"},
		{"backchannel okay", "Okay, yeah.", "okay yeah", "backchannel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &fakeReplier{firstToken: 300 * time.Millisecond, perWord: 30 * time.Millisecond,
				answers: map[string]string{"hours": hoursAnswer}}
			r := runCall(t, callSetup{replier: rep, steps: []step{
				{when: afterAgent(400 * time.Millisecond), say: "What are your opening hours?"},
				{when: whileAgent(time.Second), say: tt.say, audio: callerSpeech(t, tt.sound)},
			}})

			_, n := r.heard()
			for _, s := range []string{"We are open from nine to six on weekdays.",
				"On Saturday we open from ten to two."} {
				if got, want := n[s], r.tts.samples(s); got != want {
					t.Errorf("got %d samples of %q heard, want all %d", got, s, want)
				}
			}
			if got := len(rep.requests()); got != 1 || rep.cancelled != 0 {
				t.Errorf("got %d replies, %d cancelled, want 1 and 0", got, rep.cancelled)
			}
			if got := pausedTicks(r, r.p.stepTicks[1]); got < 5 {
				t.Errorf("got the answer paused for %d frames, want a pause", got)
			}
			if got := metricValue(t, r.reg, "voiced_barge_ins_total", tt.outcome); got != 1 {
				t.Errorf("got %v barge-ins counted as %s, want 1", got, tt.outcome)
			}
			if got := r.turns[len(r.turns)-1]; got.Text != hoursAnswer {
				t.Errorf("got last turn %q, want the whole answer %q", got.Text, hoursAnswer)
			}
		})
	}
}

// pausedTicks counts the quiet frames after from, before the agent's
// audio ends for good.
func pausedTicks(r *callResult, from int) int {
	log := r.p.agentLog
	last := len(log) - 1
	for last > from && log[last] == 0 {
		last--
	}
	quiet := 0
	for _, id := range log[from:last] {
		if id == 0 {
			quiet++
		}
	}
	return quiet
}

// metricValue reads a counter with one label, or a histogram's count.
func metricValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == label {
				if h := m.GetHistogram(); h != nil {
					return float64(h.GetSampleCount())
				}
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestVoiceResamplesSpeech(t *testing.T) {
	tts := newFakeTTS()
	tts.rate = 24000
	rep := &fakeReplier{firstToken: 300 * time.Millisecond, answers: map[string]string{"hours": hoursAnswer}}
	r := runCall(t, callSetup{replier: rep, tts: tts, steps: []step{
		{when: afterAgent(400 * time.Millisecond), say: "What are your opening hours?"},
	}})
	_, n := r.heard()
	for _, s := range []string{"Hello, how can I help?", "We are open from nine to six on weekdays."} {
		if got, want := n[s], tts.samples(s); got < want*95/100 || got > want {
			t.Errorf("got %d samples of %q at 16 kHz, want about %d", got, s, want)
		}
	}
}
