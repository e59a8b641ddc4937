package dialog

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/tts"
	"github.com/voiced/voiced/vad"
)

// The fakes of BenchmarkTurnOverhead wrap those of voice_fakes_test.go
// and note, in the call's turn, when each step of the answer happened.

// loadTurn is the timeline of one answered turn.
type loadTurn struct {
	pushedAt    time.Time     // the clock pushed the frame that ended the turn
	endAt       time.Time     // the detector reported SpeechEnd to the loop
	finishStart time.Time     // the recognizer was asked for the transcript
	llmWait     time.Duration // the fake model's first-token latency
	replyAt     time.Time     // Reply was called
	firstToken  time.Time     // its first text
	synthAt     time.Time     // the first sentence's Synthesize was called
	ttsData     time.Time     // its first audio came out of the stream
	enqAt       time.Time     // the loop had queued that audio on the playout
	readAt      time.Time     // the clock took the answer's first sample
}

// speechEnded opens a turn as the detector reports its end at stream
// offset at, on the loop, just before the controller acts on it.
func (c *loadCall) speechEnded(at time.Duration) {
	now := time.Now()
	t := &loadTurn{endAt: now}
	if i := int((at+media.FrameDuration-1)/media.FrameDuration) - 1; i >= 0 && i < len(c.pushAt) {
		t.pushedAt = time.Unix(0, c.pushAt[i].Load())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.turn != nil {
		c.dropped++
	}
	c.turn = t
}

// answered notes the first sample of agent audio after silence: the
// answer of the turn awaited, if it is one.
func (c *loadCall) answered(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.turn; t != nil && !t.synthAt.IsZero() && t.readAt.IsZero() {
		t.readAt = at
		c.complete(t)
	}
}

// enqueued returns the marker the synthesis posts behind the answer's
// first audio: the loop runs it once that audio is on the playout.
func (c *loadCall) enqueued(t *loadTurn) func() {
	return func() {
		now := time.Now()
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.turn == t && t.enqAt.IsZero() {
			t.enqAt = now
			c.complete(t)
		}
	}
}

// complete files t once it is fully timed. c.mu must be held.
func (c *loadCall) complete(t *loadTurn) {
	if !t.readAt.IsZero() && !t.enqAt.IsZero() {
		c.turns = append(c.turns, t)
		c.turn = nil
	}
}

// loadDetector reports the turn's end to the call as the controller
// receives it.
type loadDetector struct {
	SpeechDetector
	c *loadCall
}

func (d *loadDetector) Push(pcm []int16) ([]vad.Event, error) {
	evs, err := d.SpeechDetector.Push(pcm)
	for _, ev := range evs {
		if ev.Type == vad.SpeechEnd {
			d.c.speechEnded(ev.At)
		}
	}
	return evs, err
}

// loadRecognizer notes when its sessions are asked for their transcript.
type loadRecognizer struct {
	asr.Recognizer
	c *loadCall
}

func (r loadRecognizer) Start(ctx context.Context, opts asr.Options) (asr.Session, error) {
	s, err := r.Recognizer.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	return loadSession{s, r.c}, nil
}

type loadSession struct {
	asr.Session
	c *loadCall
}

func (s loadSession) Finish(ctx context.Context) (asr.Result, error) {
	s.c.mu.Lock()
	s.c.lastFinish = time.Now()
	s.c.mu.Unlock()
	return s.Session.Finish(ctx)
}

// loadReplier answers every question with loadAnswer, all at once after
// a fixed first-token latency, and times the turn's reply.
type loadReplier struct{ c *loadCall }

func (r loadReplier) Reply(ctx context.Context, req Request, onDelta func(string) error) (Result, error) {
	c := r.c
	wait := loadFirstToken
	if c.spread > 0 {
		wait += rand.N(c.spread)
	}
	c.mu.Lock()
	t := c.turn
	if t != nil && t.replyAt.IsZero() {
		t.replyAt, t.finishStart, t.llmWait = time.Now(), c.lastFinish, wait
	} else {
		t = nil
	}
	c.mu.Unlock()

	first := t != nil
	model := &fakeReplier{firstToken: wait, def: loadAnswer}
	return model.Reply(ctx, req, func(delta string) error {
		if first {
			first = false
			c.mu.Lock()
			t.firstToken = time.Now()
			c.mu.Unlock()
		}
		return onDelta(delta)
	})
}

// loadSynthesizer times the first sentence of the awaited answer.
type loadSynthesizer struct {
	*fakeTTS
	c *loadCall
}

func (s loadSynthesizer) Synthesize(ctx context.Context, req tts.Request) (tts.Stream, error) {
	c := s.c
	c.mu.Lock()
	t := c.turn
	if t != nil && !t.firstToken.IsZero() && t.synthAt.IsZero() {
		t.synthAt = time.Now()
	} else {
		t = nil
	}
	c.mu.Unlock()

	st, err := s.fakeTTS.Synthesize(ctx, req)
	if err != nil || t == nil {
		return st, err
	}
	return &loadStream{Stream: st, ctx: ctx, c: c, t: t}, nil
}

// loadStream notes the first audio and, at the next Read, once the
// controller has posted that audio to its loop, posts the marker that
// times its enqueueing.
type loadStream struct {
	tts.Stream
	ctx   context.Context
	c     *loadCall
	t     *loadTurn
	reads int
}

func (s *loadStream) Read(pcm []int16) (int, error) {
	s.reads++
	if s.reads == 2 {
		s.c.v.post(s.ctx, s.c.enqueued(s.t))
	}
	n, err := s.Stream.Read(pcm)
	if s.reads == 1 && n > 0 {
		s.c.mu.Lock()
		s.t.ttsData = time.Now()
		s.c.mu.Unlock()
	}
	return n, err
}
