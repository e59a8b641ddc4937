// Package breaker holds the circuit breakers of the fallback chains: one
// per backend, opened by consecutive failures so that a dead server is
// skipped for a while instead of being hammered on every call.
package breaker

import (
	"sync"
	"time"
)

// Defaults of Config.
const (
	// DefaultThreshold is how many consecutive failures open a breaker.
	DefaultThreshold = 3
	// DefaultCooldown is how long an open breaker skips its backend.
	DefaultCooldown = 30 * time.Second
)

// Config tunes a Set; every field has a usable zero value.
type Config struct {
	// Threshold is how many consecutive failures open a breaker;
	// DefaultThreshold when zero.
	Threshold int
	// Cooldown is how long an open breaker skips its backend;
	// DefaultCooldown when zero.
	Cooldown time.Duration
	// Now tells the time; time.Now when nil.
	Now func() time.Time
}

// Set is one breaker per backend of a chain, safe for concurrent use.
type Set struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time

	mu    sync.Mutex // guards state
	state []state
}

// state is one backend's breaker.
type state struct {
	failures  int       // consecutive failures
	openUntil time.Time // skipped before this instant
}

// New returns n closed breakers.
func New(n int, cfg Config) *Set {
	s := &Set{threshold: cfg.Threshold, cooldown: cfg.Cooldown, now: cfg.Now,
		state: make([]state, n)}
	if s.threshold <= 0 {
		s.threshold = DefaultThreshold
	}
	if s.cooldown <= 0 {
		s.cooldown = DefaultCooldown
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Allowed reports whether backend i may be tried now.
func (s *Set) Allowed(i int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.now().Before(s.state[i].openUntil)
}

// Record counts a success or a failure of backend i. A failure that
// reaches the threshold opens the breaker; while the count stays at or
// above it, each further failure (the trial after a cool-down) opens it
// again. One success closes it.
func (s *Set) Record(i int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := &s.state[i]
	if ok {
		*b = state{}
		return
	}
	b.failures++
	if b.failures >= s.threshold {
		b.openUntil = s.now().Add(s.cooldown)
	}
}
