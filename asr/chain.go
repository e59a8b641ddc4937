package asr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/voiced/voiced/internal/breaker"
)

// Defaults of ChainConfig.
const (
	// DefaultThreshold is how many consecutive failures open a breaker.
	DefaultThreshold = breaker.DefaultThreshold
	// DefaultCooldown is how long an open breaker skips its backend.
	DefaultCooldown = breaker.DefaultCooldown
)

// ChainConfig configures a Chain. Every field but Recognizers has a usable
// zero value.
type ChainConfig struct {
	// Recognizers are tried in order.
	Recognizers []Recognizer
	// Threshold is how many consecutive failures of a backend make the
	// chain skip it; DefaultThreshold when zero.
	Threshold int
	// Cooldown is how long a backend is skipped; DefaultCooldown when zero.
	Cooldown time.Duration
	// Now tells the time; time.Now when nil.
	Now func() time.Time
}

// Chain is a Recognizer that starts a session on the first of its
// recognizers that accepts, with a circuit breaker per recognizer: after
// Threshold consecutive failures (a failed Start, or a session whose Finish
// failed) the recognizer is skipped for Cooldown, then tried again; one
// success closes the breaker. Failures caused by the caller's context do
// not count.
type Chain struct {
	recs     []Recognizer
	breakers *breaker.Set
}

// NewChain returns a chain over cfg.Recognizers.
func NewChain(cfg ChainConfig) (*Chain, error) {
	if len(cfg.Recognizers) == 0 {
		return nil, fmt.Errorf("%w: chain without recognizers", ErrBadConfig)
	}
	for i, r := range cfg.Recognizers {
		if r == nil {
			return nil, fmt.Errorf("%w: chain recognizer %d is nil", ErrBadConfig, i)
		}
	}
	return &Chain{recs: cfg.Recognizers, breakers: breaker.New(len(cfg.Recognizers),
		breaker.Config{Threshold: cfg.Threshold, Cooldown: cfg.Cooldown, Now: cfg.Now})}, nil
}

// Start opens a session on the first recognizer whose breaker is closed
// and whose Start succeeds. When none does, the error wraps ErrNoBackend
// and every Start error.
func (c *Chain) Start(ctx context.Context, opts Options) (Session, error) {
	var errs []error
	for i, r := range c.recs {
		if !c.breakers.Allowed(i) {
			continue
		}
		s, err := r.Start(ctx, opts)
		if err == nil {
			return &chainSession{Session: s, chain: c, index: i}, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("start asr: %w", err)
		}
		c.breakers.Record(i, false)
		errs = append(errs, fmt.Errorf("recognizer %d: %w", i, err))
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%w: every breaker is open", ErrNoBackend)
	}
	return nil, fmt.Errorf("%w: %w", ErrNoBackend, errors.Join(errs...))
}

// chainSession reports the outcome of Finish to the chain's breaker.
type chainSession struct {
	Session
	chain *Chain
	index int
}

// Finish waits for the transcript and counts the outcome.
func (s *chainSession) Finish(ctx context.Context) (Result, error) {
	res, err := s.Session.Finish(ctx)
	switch {
	case err == nil:
		s.chain.breakers.Record(s.index, true)
	case ctx.Err() == nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrFinished):
		s.chain.breakers.Record(s.index, false)
	}
	return res, err
}
