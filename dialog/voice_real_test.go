package dialog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/voiced/voiced/asr/sphinx"
	"github.com/voiced/voiced/tts/flite"
)

// TestVoiceRealPipeline runs a call through the embedded defaults: Silero
// hears flite's voice asking, pocketsphinx transcribes it, the engine
// answers from the knowledge base without a model, and flite speaks.
func TestVoiceRealPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("real models are slow")
	}
	if !sileroReady() {
		t.Skip("silero or flite missing (scripts/setup.sh installs them)")
	}
	rec, err := sphinx.New(sphinx.Config{Decoders: 1})
	if errors.Is(err, sphinx.ErrModelMissing) {
		t.Skipf("pocketsphinx model missing: %v", err)
	}
	if err != nil {
		t.Fatalf("sphinx: %v", err)
	}
	defer rec.Close()
	speaker, err := flite.New(flite.Config{})
	if err != nil {
		t.Skipf("flite: %v", err)
	}

	question := "Is parking free for customers?"
	engine, err := New(Config{Store: newMemStore(), Searcher: &fakeSearcher{passages: testPassages}})
	if err != nil {
		t.Fatal(err)
	}
	r := runCall(t, callSetup{steps: []step{{
		when: afterAgent(500 * time.Millisecond), audio: callerSpeech(t, question),
	}}, until: afterAgent(2 * time.Second), config: func(c *VoiceConfig) {
		c.Recognizer, c.Synthesizer, c.Replier = rec, speaker, engine
	}})

	if len(r.turns) != 3 {
		t.Fatalf("got %d turns, want greeting, question and answer: %+v", len(r.turns), r.turns)
	}
	user, answer := r.turns[1], r.turns[2]
	t.Logf("heard %q, answered %q (%s), latency %v", user.Text, answer.Text, answer.Mode, answer.Latency)
	if user.Role != "user" || user.Text == "" {
		t.Errorf("got turn %s %q, want the caller's transcript", user.Role, user.Text)
	}
	if !strings.Contains(answer.Text, "Parking is free") || answer.Mode != ModeExtractive {
		t.Errorf("got answer %q (%s), want the parking passage, extractive", answer.Text, answer.Mode)
	}
	if _, ok := answer.Latency[StageVoiceToVoice]; !ok {
		t.Errorf("got latency %v, want %s", answer.Latency, StageVoiceToVoice)
	}
}
