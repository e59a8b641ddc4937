package asr

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Defaults of ChainConfig.
const (
	// DefaultThreshold is how many consecutive failures open a breaker.
	DefaultThreshold = 3
	// DefaultCooldown is how long an open breaker skips its backend.
	DefaultCooldown = 30 * time.Second
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
	recs      []Recognizer
	threshold int
	cooldown  time.Duration
	now       func() time.Time

	mu       sync.Mutex // guards breakers
	breakers []breaker
}

// breaker is the state of one recognizer.
type breaker struct {
	failures  int       // consecutive failures
	openUntil time.Time // skipped before this instant
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
	c := &Chain{recs: cfg.Recognizers, threshold: cfg.Threshold, cooldown: cfg.Cooldown,
		now: cfg.Now, breakers: make([]breaker, len(cfg.Recognizers))}
	if c.threshold <= 0 {
		c.threshold = DefaultThreshold
	}
	if c.cooldown <= 0 {
		c.cooldown = DefaultCooldown
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Start opens a session on the first recognizer whose breaker is closed
// and whose Start succeeds. When none does, the error wraps ErrNoBackend
// and every Start error.
func (c *Chain) Start(ctx context.Context, opts Options) (Session, error) {
	var errs []error
	for i, r := range c.recs {
		if !c.allowed(i) {
			continue
		}
		s, err := r.Start(ctx, opts)
		if err == nil {
			return &chainSession{Session: s, chain: c, index: i}, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("start asr: %w", err)
		}
		c.record(i, false)
		errs = append(errs, fmt.Errorf("recognizer %d: %w", i, err))
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%w: every breaker is open", ErrNoBackend)
	}
	return nil, fmt.Errorf("%w: %w", ErrNoBackend, errors.Join(errs...))
}

// allowed reports whether recognizer i may be tried now.
func (c *Chain) allowed(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.now().Before(c.breakers[i].openUntil)
}

// record counts a success or a failure of recognizer i. A failure that
// reaches the threshold opens the breaker; while it stays at or above the
// threshold, each further failure (the trial after a cool-down) opens it
// again.
func (c *Chain) record(i int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := &c.breakers[i]
	if ok {
		*b = breaker{}
		return
	}
	b.failures++
	if b.failures >= c.threshold {
		b.openUntil = c.now().Add(c.cooldown)
	}
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
		s.chain.record(s.index, true)
	case ctx.Err() == nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrFinished):
		s.chain.record(s.index, false)
	}
	return res, err
}
