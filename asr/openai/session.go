package openai

import (
	"context"
	"fmt"
	"sync"

	"github.com/voiced/voiced/asr"
)

// session buffers one utterance until Finish sends it.
type session struct {
	c    *Client
	opts asr.Options

	ctx    context.Context // ends when the session is closed
	cancel context.CancelFunc

	mu       sync.Mutex // guards the fields below
	audio    []int16
	finished bool
	closed   bool
}

func newSession(c *Client, opts asr.Options) *session {
	ctx, cancel := context.WithCancel(context.Background())
	return &session{c: c, opts: opts, ctx: ctx, cancel: cancel}
}

// Write appends audio to the buffer; it never touches the network.
func (s *session) Write(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return asr.ErrClosed
	case s.finished:
		return asr.ErrFinished
	case len(s.audio)+len(pcm) > s.c.maxAudio:
		return fmt.Errorf("%w: over %s", asr.ErrAudioTooLong, s.c.cfg.MaxAudio)
	}
	s.audio = append(s.audio, pcm...)
	return nil
}

// Finish sends the utterance and waits for its transcript. Close
// interrupts it.
func (s *session) Finish(ctx context.Context) (asr.Result, error) {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return asr.Result{}, asr.ErrClosed
	case s.finished:
		s.mu.Unlock()
		return asr.Result{}, asr.ErrFinished
	}
	s.finished = true
	audio := s.audio
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	res, err := s.c.Transcribe(ctx, audio, s.opts)
	if err != nil && s.ctx.Err() != nil {
		return asr.Result{}, fmt.Errorf("finish asr %s: %w", s.c.cfg.Name, asr.ErrClosed)
	}
	return res, err
}

// Close abandons the session, interrupting a Finish in progress.
func (s *session) Close() error {
	s.mu.Lock()
	s.closed = true
	s.audio = nil
	s.mu.Unlock()
	s.cancel()
	return nil
}
