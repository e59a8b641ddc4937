package dialog

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/voiced/voiced/media"
)

const desk = "sip:desk@example.com"

// runsOf counts the separate stretches in which text was played.
func (r *callResult) runsOf(text string) int {
	id, runs, prev := r.tts.id(text), 0, int16(0)
	for _, cur := range r.p.agentLog {
		if cur == id && prev != id {
			runs++
		}
		prev = cur
	}
	return runs
}

// atTick ends a call once the phone has run n ticks.
func atTick(n int) func(*phone) bool {
	return func(p *phone) bool { return p.tick >= n }
}

func TestVoiceDTMF(t *testing.T) {
	rep := &fakeReplier{firstToken: 300 * time.Millisecond, def: "Thank you, I found your order."}
	line := &fakeLine{playout: media.NewPlayout()}
	r := runCall(t, callSetup{replier: rep, line: line,
		agent: Agent{Name: "helper", Greeting: "Hello!", TransferTarget: desk},
		steps: []step{
			{when: afterAgent(400 * time.Millisecond), keys: "123#"},
			{when: afterAgent(400 * time.Millisecond), keys: "0"},
		},
		until: func(*phone) bool { return false }})

	if !r.ended {
		t.Errorf("got Run still running after the transfer, want it returned")
	}
	reqs := rep.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d replies, want 1", len(reqs))
	}
	if got := reqs[0].Messages[len(reqs[0].Messages)-1].Content; got != "1 2 3" {
		t.Errorf("got message %q, want %q", got, "1 2 3")
	}
	texts, _ := r.heard()
	want := []string{"Hello!", "Thank you, I found your order.", defaultPrompts().Handover}
	if !slices.Equal(texts, want) {
		t.Errorf("got heard %q, want %q", texts, want)
	}
	if !slices.Equal(line.transfers, []string{desk}) {
		t.Errorf("got transfers %q, want [%s]", line.transfers, desk)
	}
	if got := r.turns[1]; got.Role != "user" || got.Text != "1 2 3" {
		t.Errorf("got turn %s %q, want user %q", got.Role, got.Text, "1 2 3")
	}
}

func TestVoiceSilence(t *testing.T) {
	line := &fakeLine{playout: media.NewPlayout()}
	r := runCall(t, callSetup{line: line, until: func(*phone) bool { return false }})

	p := defaultPrompts()
	if !r.ended || line.hangups != 1 {
		t.Fatalf("got Run ended %v after %d hang-ups, want it ended after 1", r.ended, line.hangups)
	}
	if got := r.runsOf(p.Reprompt); got != 2 {
		t.Errorf("got %d reprompts, want 2", got)
	}
	texts, n := r.heard()
	if want := []string{"Hello, how can I help?", p.Reprompt, p.Goodbye}; !slices.Equal(texts, want) {
		t.Errorf("got heard %q, want %q", texts, want)
	}
	if n[p.Goodbye] != r.tts.samples(p.Goodbye) || line.pendingAtHangup != 0 {
		t.Errorf("got %d samples of the goodbye heard and %v pending at hang-up, want all %d and 0",
			n[p.Goodbye], line.pendingAtHangup, r.tts.samples(p.Goodbye))
	}

	greetingEnd := r.firstTick(p.Reprompt, 0) - 1
	for greetingEnd > 0 && r.p.agentLog[greetingEnd] == 0 {
		greetingEnd--
	}
	gap := time.Duration(r.firstTick(p.Reprompt, 0)-greetingEnd) * 20 * time.Millisecond
	if gap < 8*time.Second || gap > 8200*time.Millisecond {
		t.Errorf("got the reprompt %v after the greeting, want 8 s", gap)
	}
	if len(r.turns) != 4 || r.turns[3].Text != p.Goodbye || r.turns[3].Mode != ModePrompt {
		t.Errorf("got turns %+v, want greeting, 2 reprompts and the goodbye", r.turns)
	}
}

func TestVoiceEndCallTool(t *testing.T) {
	rep := &fakeReplier{firstToken: 300 * time.Millisecond, tools: map[string]string{"bye": ToolEndCall}}
	line := &fakeLine{playout: media.NewPlayout()}
	r := runCall(t, callSetup{replier: rep, line: line, steps: []step{
		{when: afterAgent(400 * time.Millisecond), say: "That's all, bye."},
	}, until: func(*phone) bool { return false }})

	goodbye := defaultPrompts().Goodbye
	_, n := r.heard()
	if !r.ended || line.hangups != 1 {
		t.Fatalf("got Run ended %v after %d hang-ups, want it ended after 1", r.ended, line.hangups)
	}
	if n[goodbye] != r.tts.samples(goodbye) || line.pendingAtHangup != 0 {
		t.Errorf("got %d samples of the goodbye heard and %v pending at hang-up, want all %d and 0",
			n[goodbye], line.pendingAtHangup, r.tts.samples(goodbye))
	}
	if rep.cancelled != 1 {
		t.Errorf("got %d replies cancelled, want the one that called the tool", rep.cancelled)
	}
	if got := r.turns[len(r.turns)-1]; got.Text != goodbye || got.Role != "assistant" {
		t.Errorf("got last turn %s %q, want assistant %q", got.Role, got.Text, goodbye)
	}
}

func TestVoiceTransferTool(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantEnded bool
		wantHeard []string
	}{
		{"succeeds", nil, true, []string{"Hello!", defaultPrompts().Handover}},
		{"fails", errors.New("busy"), false, []string{"Hello!", defaultPrompts().Handover,
			defaultPrompts().TransferFailed, hoursAnswer[:41]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &fakeReplier{firstToken: 300 * time.Millisecond,
				tools:   map[string]string{"person": ToolTransferToHuman},
				answers: map[string]string{"hours": hoursAnswer}}
			line := &fakeLine{playout: media.NewPlayout(), transferErr: tt.err}
			r := runCall(t, callSetup{replier: rep, line: line,
				agent: Agent{Name: "helper", Greeting: "Hello!", TransferTarget: desk},
				steps: []step{
					{when: afterAgent(400 * time.Millisecond), say: "Can I talk to a person?"},
					{when: afterAgent(400 * time.Millisecond), say: "What are your opening hours?"},
				}})

			if r.ended != tt.wantEnded || !slices.Equal(line.transfers, []string{desk}) {
				t.Errorf("got Run ended %v after transfers %q, want %v after [%s]",
					r.ended, line.transfers, tt.wantEnded, desk)
			}
			texts, _ := r.heard()
			if len(texts) > len(tt.wantHeard) {
				texts = texts[:len(tt.wantHeard)]
			}
			if !slices.Equal(texts, tt.wantHeard) {
				t.Errorf("got heard %q, want %q", texts, tt.wantHeard)
			}
		})
	}
}

func TestVoiceMaxCallLength(t *testing.T) {
	rep := &fakeReplier{firstToken: 300 * time.Millisecond, perWord: 30 * time.Millisecond,
		answers: map[string]string{"hours": longAnswer}}
	line := &fakeLine{playout: media.NewPlayout()}
	r := runCall(t, callSetup{replier: rep, line: line,
		steps:  []step{{when: afterAgent(400 * time.Millisecond), say: "What are your opening hours?"}},
		until:  func(*phone) bool { return false },
		config: func(c *VoiceConfig) { c.MaxCallLength = 7 * time.Second }})

	limit := defaultPrompts().TimeLimit
	texts, _ := r.heard()
	if !r.ended || line.hangups != 1 || texts[len(texts)-1] != limit {
		t.Fatalf("got Run ended %v, %d hang-ups, last heard %q; want ended, 1, %q",
			r.ended, line.hangups, texts[len(texts)-1], limit)
	}
	if got := r.firstTick(limit, 0); got < frameTicks(7*time.Second) || got > frameTicks(7200*time.Millisecond) {
		t.Errorf("got the time limit said at tick %d, want at 7 s", got)
	}
	cut := r.turns[len(r.turns)-2]
	if cut.Role != "assistant" || cut.Text == "" || cut.Text == longAnswer {
		t.Errorf("got turn %s %q before the time limit, want the part of the answer heard",
			cut.Role, cut.Text)
	}
}

func defaultPrompts() VoicePrompts {
	var p VoicePrompts
	p.fill()
	return p
}
