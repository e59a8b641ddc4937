package sphinx

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/voiced/voiced/asr"
)

// session is one utterance on a borrowed decoder. Decoding happens inside
// Write, on the caller's goroutine: pocketsphinx runs at a fraction of real
// time, so a 20 ms frame costs a few milliseconds of CPU.
type session struct {
	r         *Recognizer
	onPartial func(string)
	// every is how many samples pass between two looks for a partial.
	every int

	mu sync.Mutex // guards the fields below; Close may come from any goroutine
	d  *decoder   // nil once finished or closed
	// done is asr.ErrFinished or asr.ErrClosed once d is gone.
	done error
	// samples counts the audio written; sincePartial the part of it since
	// the last look for a partial transcript.
	samples      int
	sincePartial int
	lastPartial  string
}

var _ asr.Session = (*session)(nil)

// Write decodes pcm, mono at asr.SampleRate. It does not allocate, except
// for the partial transcript when one is due and OnPartial is set.
func (s *session) Write(pcm []int16) error {
	s.mu.Lock()
	if s.d == nil {
		s.mu.Unlock()
		return s.done
	}
	if err := s.d.process(pcm); err != nil {
		s.mu.Unlock()
		return err
	}
	s.samples += len(pcm)
	s.sincePartial += len(pcm)

	var partial string
	if s.onPartial != nil && s.sincePartial >= s.every {
		s.sincePartial = 0
		if h := s.d.hyp(); h != "" && h != s.lastPartial {
			s.lastPartial = h
			partial = h
		}
	}
	s.mu.Unlock()

	if partial != "" {
		s.onPartial(partial)
	}
	return nil
}

// Finish ends the utterance, returns the decoder to the pool and reports
// the transcript.
func (s *session) Finish(ctx context.Context) (asr.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d == nil {
		return asr.Result{}, s.done
	}
	if err := ctx.Err(); err != nil {
		return asr.Result{}, fmt.Errorf("sphinx: finish: %w", err)
	}

	d := s.d
	s.d, s.done = nil, asr.ErrFinished
	err := d.endUtt()
	text := ""
	if err == nil {
		text = d.hyp()
		if text != "" {
			d.keepMean()
		}
	}
	s.r.release(d)
	if err != nil {
		return asr.Result{}, err
	}
	return asr.Result{
		Text:     text,
		Language: "en",
		Audio:    time.Duration(s.samples) * time.Second / asr.SampleRate,
		Backend:  Backend,
	}, nil
}

// Close abandons the utterance and returns the decoder to the pool. It
// waits for a Write in progress and is idempotent.
func (s *session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d == nil {
		return nil
	}
	d := s.d
	s.d, s.done = nil, asr.ErrClosed
	err := d.endUtt()
	s.r.release(d)
	return err
}
