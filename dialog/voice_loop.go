package dialog

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/voiced/voiced/media"
)

// Voice is the turn controller of one call: it listens to the caller's
// audio, decides when a turn ends, answers through the Replier and speaks
// the answer sentence by sentence, yields to the caller's interruptions,
// and records what was said and heard. It knows nothing of the transport:
// the transport pushes the caller's audio and key presses in, and offers
// a Line out.
//
// PushAudio and PushDTMF may be called from any goroutine at any time;
// everything else happens on Run's event loop.
type Voice struct {
	cfg     VoiceConfig
	log     *slog.Logger
	metrics *voiceMetrics
	tracer  trace.Tracer
	playout *media.Playout
	ring    *audioRing
	dtmf    chan rune
	// events carries work from the loop's helpers (recognition, reply,
	// synthesis, tools) to the loop.
	events  chan func()
	tools   []Tool
	running atomic.Bool

	// The fields below belong to Run's goroutine.
	ctx     context.Context
	wg      sync.WaitGroup // the helpers started by the loop
	rec     *turnRecorder
	det     SpeechDetector
	frame   []int16 // the frame being detected
	readPos int64   // ring position of the next frame to detect
	detBase int64   // ring position of the detector's offset 0

	utt       *utterance // the caller's utterance, nil between them
	prev      *utterance // an ended utterance still awaiting its transcript
	speech    *speech    // what the agent is saying, nil when silent
	history   []Message  // what was said and heard, for the model
	carry     *userTurn  // the caller's words whose answer went unheard
	reprompts int
	turns     int  // the speeches started, for their spans
	closing   bool // saying goodbye or transferring: speech is ignored
	done      bool // the call is over from our side
	digits    []rune
	digitsAt  time.Time // call time of the entry's first key
	digitLast time.Time // when its last key came
	vadFailed bool

	watch    <-chan struct{} // Reached for watchPos
	watchPos int64
	silence  timer
	digitGap timer
}

// dtmfQueue is how many key presses wait for the loop; more are dropped.
const dtmfQueue = 32

// NewVoice checks cfg and prepares the controller; Run starts it.
func NewVoice(cfg VoiceConfig) (*Voice, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	m, err := newVoiceMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}

	v := &Voice{
		cfg:     cfg,
		log:     cfg.Logger,
		metrics: m,
		tracer:  newTracer(cfg.TracerProvider),
		playout: cfg.Line.Playout(),
		ring:    newAudioRing(),
		dtmf:    make(chan rune, dtmfQueue),
		events:  make(chan func(), 64),
		frame:   make([]int16, media.SamplesPerFrame(media.PipelineRate)),
	}
	v.tools = v.callTools()
	return v, nil
}

// PushAudio takes the caller's next 20 ms at media.PipelineRate. The
// media clock calls it, from one goroutine at a time: it copies pcm and
// returns without blocking or allocating. The first sample pushed is at
// CallStart.
func (v *Voice) PushAudio(pcm []int16) { v.ring.write(pcm) }

// PushDTMF takes a key the caller pressed ('0'-'9', '*', '#', 'A'-'D').
// It does not block; keys beyond a small queue are dropped.
func (v *Voice) PushDTMF(digit rune) {
	select {
	case v.dtmf <- digit:
	default:
		v.metrics.failures.WithLabelValues("dtmf_dropped").Inc()
	}
}

// Run is the call's event loop. It speaks the greeting and then listens,
// answers and speaks until the call ends: when ctx ends (the caller hung
// up), after the controller hung up or transferred, or at MaxCallLength.
// It returns nil then, having waited for everything it started; an error
// only when the call could not be served at all.
func (v *Voice) Run(ctx context.Context) error {
	if !v.running.CompareAndSwap(false, true) {
		return ErrVoiceRunning
	}
	det, err := v.cfg.NewDetector()
	if err != nil {
		return fmt.Errorf("new speech detector: %w", err)
	}
	ctx, span := v.startCall(ctx)
	ctx, cancel := context.WithCancel(ctx)
	v.ctx, v.det = ctx, det
	v.rec = startRecorder(v.cfg.Store, v.cfg.ConversationID, v.log, v.metrics)
	defer func() {
		v.wrapUp()
		cancel()
		v.wg.Wait()
		v.rec.close()
		v.endCall(span)
	}()

	v.log.Info("voice call started", "tenant", v.cfg.TenantID, "agent", v.cfg.Agent.Name)
	if v.cfg.Agent.Greeting != "" {
		v.say(v.cfg.Agent.Greeting, ModeGreeting, nil)
	}
	v.loop(ctx)
	return nil
}

// loop handles the call's events until it is over.
func (v *Voice) loop(ctx context.Context) {
	limit := time.NewTimer(v.cfg.CallStart.Add(v.cfg.MaxCallLength).Sub(v.cfg.Now()))
	defer limit.Stop()
	for !v.done {
		v.settle()
		select {
		case <-ctx.Done():
			return
		case <-v.ring.ready:
			v.drainAudio()
		case f := <-v.events:
			f()
		case d := <-v.dtmf:
			v.onDigit(d)
		case <-v.watch:
			v.watch = nil
			v.progress()
		case <-v.silence.c:
			v.silence.fired()
			v.onSilence()
		case <-v.digitGap.c:
			v.digitGap.fired()
			v.digitsDone()
		case <-limit.C:
			v.log.Info("call reached its time limit")
			v.closeCall(v.cfg.Prompts.TimeLimit)
		}
	}
}

// wrapUp records what is left of the call when the loop ends.
func (v *Voice) wrapUp() {
	if v.speech != nil {
		v.cut(false)
	}
	v.dropUtterances()
	if v.carry != nil {
		v.record(v.carry, nil, "")
		v.carry = nil
	}
	v.log.Info("voice call ended", "turns", len(v.history))
}

// settle keeps the silence timer in step with the call's state: it runs
// while nobody speaks, nobody is heard and nothing is pending.
func (v *Voice) settle() {
	idle := v.speech == nil && v.utt == nil && v.prev == nil && len(v.digits) == 0 &&
		!v.closing && !v.done
	switch {
	case idle && !v.silence.armed():
		v.silence.start(v.cfg.RepromptAfter)
	case !idle && v.silence.armed():
		v.silence.stop()
	}
}

// post hands f to the loop; false when ctx ended first.
func (v *Voice) post(ctx context.Context, f func()) bool {
	select {
	case v.events <- f:
		return true
	case <-ctx.Done():
		return false
	}
}

// goHelper runs f on a helper goroutine that Run waits for.
func (v *Voice) goHelper(f func()) { v.wg.Go(f) }

// drainAudio runs every complete frame the ring holds through the
// detector, and wakes the recognition that takes the audio on.
func (v *Voice) drainAudio() {
	if old := v.ring.oldest(); v.readPos < old {
		// The loop fell behind by more than the ring holds: skip ahead
		// and keep the detector's offsets in step.
		v.metrics.failures.WithLabelValues("audio_overrun").Inc()
		v.detBase += old - v.readPos
		v.readPos = old
	}
	for v.ring.read(v.frame, v.readPos) {
		v.readPos += int64(len(v.frame))
		events, err := v.det.Push(v.frame)
		if err != nil && !v.vadFailed {
			v.vadFailed = true
			v.metrics.failures.WithLabelValues("vad").Inc()
			v.log.Warn("speech detection failed", "err", err)
		}
		for _, ev := range events {
			v.onSpeechEvent(ev)
		}
	}
	v.feed()
}

// streamTime is the call time of a ring position.
func (v *Voice) streamTime(pos int64) time.Time {
	return v.cfg.CallStart.Add(durationOf(pos))
}

// wallTime estimates when the caller said the sample at pos: the newest
// sample written is now.
func (v *Voice) wallTime(pos int64) time.Time {
	return v.cfg.Now().Add(-durationOf(v.ring.written.Load() - pos))
}

// timer is a stoppable timer whose channel is nil while it is not armed,
// so that the loop's select ignores it.
type timer struct {
	t *time.Timer
	c <-chan time.Time
}

func (t *timer) start(d time.Duration) {
	if t.t == nil {
		t.t = time.NewTimer(d)
	} else {
		t.t.Reset(d)
	}
	t.c = t.t.C
}

func (t *timer) stop() {
	if t.t != nil {
		t.t.Stop()
	}
	t.c = nil
}

func (t *timer) fired() { t.c = nil }

func (t *timer) armed() bool { return t.c != nil }
