package tts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/voiced/voiced/internal/breaker"
)

// ChainConfig configures a Chain. Every field but Synthesizers has a
// usable zero value.
type ChainConfig struct {
	// Synthesizers are tried in order.
	Synthesizers []Synthesizer
	// Threshold is how many consecutive failures of a backend make the
	// chain skip it; 3 when zero.
	Threshold int
	// Cooldown is how long a backend is skipped; 30 s when zero.
	Cooldown time.Duration
	// Now tells the time; time.Now when nil.
	Now func() time.Time
}

// Chain is a Synthesizer that speaks with the first of its synthesizers
// that delivers audio, with a circuit breaker per synthesizer: after
// Threshold consecutive failures (a failed Synthesize, or a stream that
// broke off) it is skipped for Cooldown, then tried again. Failures caused
// by the caller's context do not count. A stream that fails after audio
// was delivered is not replaced: the listener already heard part of it.
type Chain struct {
	synths   []Synthesizer
	breakers *breaker.Set
}

// NewChain returns a chain over cfg.Synthesizers.
func NewChain(cfg ChainConfig) (*Chain, error) {
	if len(cfg.Synthesizers) == 0 {
		return nil, errors.New("tts: chain without synthesizers")
	}
	for i, s := range cfg.Synthesizers {
		if s == nil {
			return nil, fmt.Errorf("tts: chain synthesizer %d is nil", i)
		}
	}
	return &Chain{synths: cfg.Synthesizers, breakers: breaker.New(len(cfg.Synthesizers),
		breaker.Config{Threshold: cfg.Threshold, Cooldown: cfg.Cooldown, Now: cfg.Now})}, nil
}

// Synthesize starts the first synthesizer whose breaker is closed and
// which succeeds. When none does, the error joins every failure.
func (c *Chain) Synthesize(ctx context.Context, req Request) (Stream, error) {
	var errs []error
	for i, s := range c.synths {
		if !c.breakers.Allowed(i) {
			continue
		}
		st, err := s.Synthesize(ctx, req)
		if err == nil {
			return &chainStream{Stream: st, chain: c, index: i}, nil
		}
		if ctx.Err() != nil || errors.Is(err, ErrEmptyText) || errors.Is(err, ErrTextTooLong) {
			// The caller's doing: no other backend would do better.
			return nil, err
		}
		c.breakers.Record(i, false)
		errs = append(errs, fmt.Errorf("synthesizer %d: %w", i, err))
	}
	if len(errs) == 0 {
		return nil, errors.New("tts: every synthesizer's breaker is open")
	}
	return nil, errors.Join(errs...)
}

// chainStream reports how a stream ended to the chain's breaker.
type chainStream struct {
	Stream
	chain    *Chain
	index    int
	reported bool
}

// Read reads the stream and counts its end: io.EOF is a success, any
// other error a failure.
func (s *chainStream) Read(pcm []int16) (int, error) {
	n, err := s.Stream.Read(pcm)
	if err != nil && !s.reported {
		s.reported = true
		ok := errors.Is(err, io.EOF)
		if ok || !errors.Is(err, context.Canceled) && !errors.Is(err, ErrStreamClosed) {
			s.chain.breakers.Record(s.index, ok)
		}
	}
	return n, err
}
