package dialog

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/voiced/voiced/media"
)

func TestEndpointWait(t *testing.T) {
	var e Endpointing
	e.fill()
	tests := []struct {
		text string
		want time.Duration
	}{
		{"", e.Default},
		{"What are your opening hours?", e.Complete},
		{"I need a new card.", e.Complete},
		{"I would like to know your hours", e.Default},
		{"I want to cancel my order and", e.Incomplete},
		{"Can I pay by card or", e.Incomplete},
		{"So the thing is, um", e.Incomplete},
		{"My number is 0", e.Digits},
		{"My number is 0 1 7 6", e.Digits},
		{"it is four five six", e.Digits},
		{"We open at 9", e.Default},
		{"Oh", e.Default},
	}
	for _, tt := range tests {
		if got := endpointWait(tt.text, e); got != tt.want {
			t.Errorf("endpointWait(%q): got %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestHasWords(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"", false},
		{"Uh-huh.", false},
		{"mm-hmm", false},
		{"Okay, yeah, right.", false},
		{"um", false},
		{"Wait", true},
		{"okay but what about parking", true},
		{"No.", true},
	}
	for _, tt := range tests {
		if got := hasWords(tt.text); got != tt.want {
			t.Errorf("hasWords(%q): got %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestHeardText(t *testing.T) {
	sentences := []*sentence{
		{text: "One two three four.", start: 0, end: 400},
		{text: "Failed.", start: 400, end: 400},
		{text: "Five six seven eight.", start: 400, end: 800},
		{text: "Never queued.", start: -1},
	}
	tests := []struct {
		pos  int64
		want string
	}{
		{0, ""},
		{99, ""},
		{100, "One"},
		{399, "One two three"},
		{400, "One two three four."},
		{600, "One two three four. Five six"},
		{800, "One two three four. Five six seven eight."},
		{5000, "One two three four. Five six seven eight."},
	}
	for _, tt := range tests {
		if got := heardText(sentences, tt.pos); got != tt.want {
			t.Errorf("heardText at %d: got %q, want %q", tt.pos, got, tt.want)
		}
	}
}

func TestAudioRing(t *testing.T) {
	r := newAudioRing()
	frame := make([]int16, 320)
	for i := range ringSize/320 + 10 {
		for j := range frame {
			frame[j] = int16(i)
		}
		r.write(frame)
	}
	written := r.written.Load()
	dst := make([]int16, 320)
	tests := []struct {
		name string
		from int64
		ok   bool
	}{
		{"newest frame", written - 320, true},
		{"not written yet", written - 100, false},
		{"oldest kept", (r.oldest() + 319) / 320 * 320, true},
		{"overwritten", r.oldest()/320*320 - 320, false},
	}
	for _, tt := range tests {
		ok := r.read(dst, tt.from)
		if ok != tt.ok {
			t.Errorf("%s: got read %v, want %v", tt.name, ok, tt.ok)
			continue
		}
		if want := int16(tt.from / 320); ok && (dst[0] != want || dst[319] != want) {
			t.Errorf("%s: got samples %d..%d, want %d", tt.name, dst[0], dst[319], want)
		}
	}
}

func TestVoiceSpelledNumberWaits(t *testing.T) {
	first, rest := callerSpeech(t, "My number is zero one seven six"), callerSpeech(t, "five five five one two")
	audio := slices.Concat(first, make([]int16, 16000*8/10), rest)
	rep := &fakeReplier{firstToken: 300 * time.Millisecond, def: "Thank you."}
	r := runCall(t, callSetup{replier: rep, steps: []step{{
		when: afterAgent(400 * time.Millisecond), say: "My number is 0 1 7 6 5 5 5 1 2", audio: audio,
	}}})

	reqs := rep.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d replies, want 1 for the whole number", len(reqs))
	}
	if got := r.turns[1].Text; got != "My number is 0 1 7 6 5 5 5 1 2" {
		t.Errorf("got user turn %q, want the whole number", got)
	}
	if got := r.turns[2].Latency[StageEndpointWait]; got < 1500 {
		t.Errorf("got endpoint wait %v ms after a number, want at least 1500", got)
	}
}

func TestVoiceContinuedTurnIsMerged(t *testing.T) {
	rep := &fakeReplier{firstToken: 500 * time.Millisecond, perWord: 30 * time.Millisecond,
		answers: map[string]string{"hours": hoursAnswer}}
	r := runCall(t, callSetup{replier: rep, steps: []step{
		{when: afterAgent(400 * time.Millisecond), say: "I would like to know"},
		{when: after(900 * time.Millisecond), say: "your opening hours please"},
	}})

	reqs := rep.requests()
	if len(reqs) != 2 || rep.cancelled != 1 {
		t.Fatalf("got %d replies, %d cancelled, want 2 and 1", len(reqs), rep.cancelled)
	}
	want := "I would like to know your opening hours please"
	if got := reqs[1].Messages[len(reqs[1].Messages)-1].Content; got != want {
		t.Errorf("got question %q, want %q", got, want)
	}
	if len(r.turns) != 3 || r.turns[1].Text != want || r.turns[2].Text != hoursAnswer {
		t.Fatalf("got turns %+v, want greeting, the merged question and the answer", r.turns)
	}
	spoke := time.Duration(r.p.stepTicks[0]) * 20 * time.Millisecond
	if got := r.turns[1].At.Sub(r.turns[0].At); got > spoke+200*time.Millisecond {
		t.Errorf("got the question at %v, want when the caller began, about %v", got, spoke)
	}
}

func TestVoiceSpeaksAgainBeforeTranscript(t *testing.T) {
	rep := &fakeReplier{firstToken: 300 * time.Millisecond, def: "Hi!",
		answers: map[string]string{"hours": hoursAnswer}}
	r := runCall(t, callSetup{replier: rep, asr: &fakeASR{finishDelay: 1500 * time.Millisecond},
		steps: []step{
			{when: afterAgent(400 * time.Millisecond), say: "Hello there."},
			{when: after(700 * time.Millisecond), say: "I need the opening hours."},
		}})

	reqs := rep.requests()
	if len(reqs) == 0 {
		t.Fatal("got no reply, want one")
	}
	want := "Hello there. I need the opening hours."
	last := reqs[len(reqs)-1].Messages
	if got := last[len(last)-1].Content; got != want {
		t.Errorf("got question %q, want %q", got, want)
	}
	if got := r.turns[len(r.turns)-1].Text; got != hoursAnswer {
		t.Errorf("got last turn %q, want the answer %q", got, hoursAnswer)
	}
}

func TestVoiceLanguage(t *testing.T) {
	tests := []struct {
		agent, asr, tts string
	}{
		{"", "", ""},
		{"en", "en", "en"},
		{"de-DE", "de", "de-DE"},
		{"English", "", ""},
		{"français", "", ""},
	}
	for _, tt := range tests {
		v := &Voice{cfg: VoiceConfig{Agent: Agent{Language: tt.agent}}}
		if got := v.language(true); got != tt.asr {
			t.Errorf("%q for the recognizer: got %q, want %q", tt.agent, got, tt.asr)
		}
		if got := v.language(false); got != tt.tts {
			t.Errorf("%q for the synthesizer: got %q, want %q", tt.agent, got, tt.tts)
		}
	}
}

func TestNewVoiceConfig(t *testing.T) {
	full := func() VoiceConfig {
		return VoiceConfig{Line: &fakeLine{playout: media.NewPlayout()}, Replier: &fakeReplier{},
			Recognizer: &fakeASR{}, Synthesizer: newFakeTTS(),
			NewDetector: func() (SpeechDetector, error) { return &energyDetector{}, nil }}
	}
	tests := []struct {
		name  string
		spoil func(*VoiceConfig)
		want  error
	}{
		{"complete", func(*VoiceConfig) {}, nil},
		{"no line", func(c *VoiceConfig) { c.Line = nil }, ErrVoiceConfig},
		{"no replier", func(c *VoiceConfig) { c.Replier = nil }, ErrVoiceConfig},
		{"no recognizer", func(c *VoiceConfig) { c.Recognizer = nil }, ErrVoiceConfig},
		{"no synthesizer", func(c *VoiceConfig) { c.Synthesizer = nil }, ErrVoiceConfig},
		{"no detector", func(c *VoiceConfig) { c.NewDetector = nil }, ErrVoiceConfig},
	}
	for _, tt := range tests {
		cfg := full()
		tt.spoil(&cfg)
		if _, err := NewVoice(cfg); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}

	v, err := NewVoice(full())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := v.Run(ctx); err != nil {
		t.Errorf("got Run %v on an ended call, want nil", err)
	}
	if err := v.Run(ctx); !errors.Is(err, ErrVoiceRunning) {
		t.Errorf("got second Run %v, want %v", err, ErrVoiceRunning)
	}
}
