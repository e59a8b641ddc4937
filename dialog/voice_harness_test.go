package dialog

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/store"
)

// frameTicks converts a duration to 20 ms ticks.
func frameTicks(d time.Duration) int { return int(d / media.FrameDuration) }

// step is one thing the caller does, once when says so: speak (say is the
// transcript the fake recognizer gives, audio what it sounds like) or
// press keys.
type step struct {
	when  func(p *phone) bool
	say   string
	audio []int16
	keys  string
}

// afterAgent is true once the agent spoke since the step began waiting
// and has been quiet for d.
func afterAgent(d time.Duration) func(*phone) bool {
	return func(p *phone) bool { return p.sinceStep > 0 && p.quietRun >= frameTicks(d) }
}

// whileAgent is true once the agent has spoken for d since the step
// began waiting, and is speaking.
func whileAgent(d time.Duration) func(*phone) bool {
	return func(p *phone) bool { return p.sinceStep >= frameTicks(d) && p.agentRun > 0 }
}

// after is true d after the step began waiting.
func after(d time.Duration) func(*phone) bool {
	return func(p *phone) bool { return p.waited >= frameTicks(d) }
}

// phone stands in for the transport and the caller: every 20 ms it takes
// a frame from the playout, as a media clock would, and pushes a frame of
// the caller's audio.
type phone struct {
	v     *Voice
	line  *fakeLine
	asr   *fakeASR
	steps []step
	until func(p *phone) bool

	tick      int
	cur       int     // the current step
	waited    int     // ticks the current step waited
	speaking  []int16 // the rest of the caller's audio
	keys      []rune  // the rest of the keys to press
	sinceStep int     // agent ticks since the current step began waiting
	agentRun  int     // agent ticks in a row
	quietRun  int     // quiet ticks in a row

	samples   map[int16]int // samples played per fake TTS id
	order     []int16       // ids in the order first played
	agentLog  []int16       // per tick, the id playing (0: quiet)
	stepTicks []int         // the tick each step began
}

func (p *phone) run(ctx context.Context, finished chan<- struct{}) {
	ticker := time.NewTicker(media.FrameDuration)
	defer ticker.Stop()
	out, in := make([]int16, 320), make([]int16, 320)
	signalled := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		p.listen(out[:p.line.playout.Read(out)])
		p.speak(in)
		p.v.PushAudio(in)
		p.tick++
		if !signalled && p.cur == len(p.steps) && p.until(p) {
			signalled = true
			close(finished)
		}
	}
}

// listen logs the agent's frame.
func (p *phone) listen(pcm []int16) {
	id := int16(0)
	for _, s := range pcm {
		k := s / 100
		if p.samples[k] == 0 {
			p.order = append(p.order, k)
		}
		p.samples[k]++
		if id == 0 {
			id = k
		}
	}
	p.agentLog = append(p.agentLog, id)
	if len(pcm) > 0 {
		p.agentRun, p.quietRun = p.agentRun+1, 0
		p.sinceStep++
	} else {
		p.agentRun, p.quietRun = 0, p.quietRun+1
	}
}

// speak fills in with the caller's next frame and presses keys.
func (p *phone) speak(in []int16) {
	clear(in)
	if len(p.speaking) == 0 && len(p.keys) == 0 && p.cur < len(p.steps) {
		s := p.steps[p.cur]
		if s.when != nil && !s.when(p) {
			p.waited++
			return
		}
		p.stepTicks = append(p.stepTicks, p.tick)
		p.speaking, p.keys = s.audio, []rune(s.keys)
		p.asr.say(s.say, len(s.audio))
	}
	switch {
	case len(p.speaking) > 0:
		n := copy(in, p.speaking)
		p.speaking = p.speaking[n:]
	case len(p.keys) > 0 && p.tick%5 == 0:
		p.v.PushDTMF(p.keys[0])
		p.keys = p.keys[1:]
	default:
		return
	}
	if len(p.speaking) == 0 && len(p.keys) == 0 {
		p.cur++
		p.waited, p.sinceStep = 0, 0
	}
}

// callSetup is one scripted call.
type callSetup struct {
	agent   Agent
	replier *fakeReplier
	tts     *fakeTTS
	asr     *fakeASR
	line    *fakeLine
	steps   []step
	// until ends the call once the steps are done (default: the agent
	// spoke and has been quiet for 1.5 s).
	until func(*phone) bool
	// limit is the longest the call may take (default 60 s).
	limit  time.Duration
	config func(*VoiceConfig)
}

// callResult is what a call left behind.
type callResult struct {
	p        *phone
	tts      *fakeTTS
	turns    []store.Turn
	reg      *prometheus.Registry
	detected *eventLog
	ended    bool // Run returned on its own
	runErr   error
}

// runCall runs the call in a synctest bubble, its clock driven by the
// phone.
func runCall(t *testing.T, s callSetup) *callResult {
	t.Helper()
	s.fill()
	for i := range s.steps {
		if s.steps[i].audio == nil && s.steps[i].keys == "" {
			s.steps[i].audio = callerSpeech(t, s.steps[i].say)
		}
	}
	newDetector, closeDetector := newTestDetector(t)
	res := &callResult{tts: s.tts, reg: prometheus.NewRegistry()}
	logDetector := func() (SpeechDetector, error) {
		d, err := newDetector()
		res.detected = &eventLog{SpeechDetector: d}
		return res.detected, err
	}

	synctest.Test(t, func(t *testing.T) {
		defer closeDetector()
		st := newMemStore()
		st.CreateConversation(context.Background(), store.Conversation{ID: "call-1", TenantID: "acme"})
		cfg := VoiceConfig{Line: s.line, Replier: s.replier, Recognizer: s.asr,
			Synthesizer: s.tts, NewDetector: logDetector, Store: st, TenantID: "acme",
			Agent: s.agent, ConversationID: "call-1", Channel: "sip", CallStart: time.Now(),
			Registerer: res.reg, Logger: testLogger(t)}
		if s.config != nil {
			s.config(&cfg)
		}
		v, err := NewVoice(cfg)
		if err != nil {
			t.Fatalf("NewVoice: %v", err)
		}
		res.p = &phone{v: v, line: s.line, asr: s.asr, steps: s.steps, until: s.until,
			samples: map[int16]int{}}
		res.ended, res.runErr = drive(v, res.p, s.limit)
		if !res.ended && res.runErr != nil {
			t.Errorf("Run: %v", res.runErr)
		}
		res.turns = st.turns["call-1"]
	})
	return res
}

// drive runs v and the phone until Run returns, the phone is done or
// limit passes.
func drive(v *Voice, p *phone, limit time.Duration) (ended bool, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- v.Run(ctx) }()
	finished, phoneDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(phoneDone)
		p.run(ctx, finished)
	}()

	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	select {
	case err = <-runDone:
		ended = true
	case <-finished:
	case <-deadline.C:
	}
	cancel()
	if !ended {
		err = <-runDone
	}
	<-phoneDone
	return ended, err
}

func (s *callSetup) fill() {
	if s.replier == nil {
		s.replier = &fakeReplier{firstToken: 300 * time.Millisecond, perWord: 30 * time.Millisecond,
			def: "I can help with that."}
	}
	if s.tts == nil {
		s.tts = newFakeTTS()
	}
	if s.asr == nil {
		s.asr = &fakeASR{finishDelay: 80 * time.Millisecond}
	}
	if s.line == nil {
		s.line = &fakeLine{playout: media.NewPlayout()}
	}
	if s.until == nil {
		s.until = afterAgent(1500 * time.Millisecond)
	}
	if s.limit == 0 {
		s.limit = 60 * time.Second
	}
	if s.agent.Name == "" {
		s.agent = Agent{Name: "helper", Greeting: "Hello, how can I help?"}
	}
}

// heard returns the texts the caller heard, in order, and how many
// samples of each.
func (r *callResult) heard() ([]string, map[string]int) {
	var texts []string
	n := map[string]int{}
	for _, id := range r.p.order {
		if id == 0 {
			continue
		}
		text := r.tts.text(id)
		texts = append(texts, text)
		n[text] = r.p.samples[id]
	}
	return texts, n
}

// firstTick returns the first tick at or after from that played text,
// -1 if none did.
func (r *callResult) firstTick(text string, from int) int {
	id := r.tts.id(text)
	for i := from; i < len(r.p.agentLog); i++ {
		if r.p.agentLog[i] == id {
			return i
		}
	}
	return -1
}

// testLogger logs through t, so that a failing test shows its call.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
