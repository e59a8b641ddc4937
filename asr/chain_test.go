package asr

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// fakeRecognizer answers Start and Finish from its fields.
type fakeRecognizer struct {
	name      string
	startErr  error
	finishErr error
	starts    int
}

func (f *fakeRecognizer) Start(ctx context.Context, opts Options) (Session, error) {
	f.starts++
	if f.startErr != nil {
		return nil, f.startErr
	}
	return fakeSession{f}, nil
}

type fakeSession struct{ f *fakeRecognizer }

func (s fakeSession) Write([]int16) error { return nil }
func (s fakeSession) Close() error        { return nil }
func (s fakeSession) Finish(ctx context.Context) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	return Result{Backend: s.f.name}, s.f.finishErr
}

// clock is a settable time.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func TestChainOrder(t *testing.T) {
	down := errors.New("down")
	tests := []struct {
		name    string
		recs    []*fakeRecognizer
		backend string
		err     error
	}{
		{"first answers", []*fakeRecognizer{{name: "a"}, {name: "b"}}, "a", nil},
		{"second after a failed start", []*fakeRecognizer{{name: "a", startErr: down}, {name: "b"}}, "b", nil},
		{"all fail", []*fakeRecognizer{{name: "a", startErr: down}, {name: "b", startErr: down}}, "", ErrNoBackend},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var recs []Recognizer
			for _, r := range tt.recs {
				recs = append(recs, r)
			}
			c, err := NewChain(ChainConfig{Recognizers: recs})
			if err != nil {
				t.Fatalf("NewChain: %v", err)
			}
			s, err := c.Start(context.Background(), Options{})
			if !errors.Is(err, tt.err) {
				t.Fatalf("got %v, want %v", err, tt.err)
			}
			if err != nil {
				if !errors.Is(err, down) {
					t.Errorf("got %v, want it to keep the recognizers' errors", err)
				}
				return
			}
			if res, _ := s.Finish(context.Background()); res.Backend != tt.backend {
				t.Errorf("got backend %q, want %q", res.Backend, tt.backend)
			}
		})
	}
}

func TestChainBreaker(t *testing.T) {
	clk := &clock{now: time.Unix(1000, 0)}
	a := &fakeRecognizer{name: "a", startErr: errors.New("refused")}
	b := &fakeRecognizer{name: "b"}
	c, _ := NewChain(ChainConfig{Recognizers: []Recognizer{a, b}, Threshold: 2,
		Cooldown: 10 * time.Second, Now: clk.Now})
	start := func() string {
		t.Helper()
		s, err := c.Start(context.Background(), Options{})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		res, _ := s.Finish(context.Background())
		return res.Backend
	}

	steps := []struct {
		name      string
		advance   time.Duration
		fix       bool // a starts working
		backend   string
		aStartsTo int
	}{
		{"first failure", 0, false, "b", 1},
		{"second failure opens", 0, false, "b", 2},
		{"open: a skipped", 5 * time.Second, false, "b", 2},
		{"after cool-down: a tried, fails, reopens", 6 * time.Second, false, "b", 3},
		{"reopened: a skipped", 1 * time.Second, false, "b", 3},
		{"after cool-down: a works", 10 * time.Second, true, "a", 4},
		{"closed again", 0, false, "a", 5},
	}
	for _, st := range steps {
		clk.now = clk.now.Add(st.advance)
		if st.fix {
			a.startErr = nil
		}
		if got := start(); got != st.backend || a.starts != st.aStartsTo {
			t.Errorf("%s: got backend %q, %d starts of a; want %q, %d", st.name, got, a.starts,
				st.backend, st.aStartsTo)
		}
	}
}

func TestChainFinishFailures(t *testing.T) {
	clk := &clock{now: time.Unix(1000, 0)}
	a := &fakeRecognizer{name: "a", finishErr: errors.New("status 500")}
	b := &fakeRecognizer{name: "b"}
	c, _ := NewChain(ChainConfig{Recognizers: []Recognizer{a, b}, Threshold: 3, Now: clk.Now})
	for i := range 4 {
		s, err := c.Start(context.Background(), Options{})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		res, _ := s.Finish(context.Background())
		want := "a"
		if i == 3 {
			want = "b"
		}
		if res.Backend != want {
			t.Errorf("utterance %d: got %q, want %q", i, res.Backend, want)
		}
	}

	clk.now = clk.now.Add(DefaultCooldown)
	a.finishErr = nil
	s, _ := c.Start(context.Background(), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Finish(ctx)
	if s, _ := c.Start(context.Background(), Options{}); s.(*chainSession).index != 0 {
		t.Errorf("got recognizer %d after a canceled Finish, want 0: the caller's cancel is no failure",
			s.(*chainSession).index)
	}
}

func TestChainAllOpen(t *testing.T) {
	a := &fakeRecognizer{startErr: errors.New("refused")}
	c, _ := NewChain(ChainConfig{Recognizers: []Recognizer{a}, Threshold: 1})
	c.Start(context.Background(), Options{})
	_, err := c.Start(context.Background(), Options{})
	if !errors.Is(err, ErrNoBackend) || a.starts != 1 {
		t.Errorf("got %v after %d starts, want ErrNoBackend without a second start", err, a.starts)
	}
}

func TestChainCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := &fakeRecognizer{startErr: context.Canceled}
	b := &fakeRecognizer{}
	c, _ := NewChain(ChainConfig{Recognizers: []Recognizer{a, b}, Threshold: 1})
	if _, err := c.Start(ctx, Options{}); !errors.Is(err, context.Canceled) || b.starts != 0 {
		t.Errorf("got %v, %d starts of b; want the cancellation at once", err, b.starts)
	}
	if _, err := c.Start(context.Background(), Options{}); err != nil || a.starts != 2 {
		t.Errorf("got %v, %d starts of a; want a tried again: a canceled start is no failure", err, a.starts)
	}
}

func TestNewChain(t *testing.T) {
	for _, cfg := range []ChainConfig{{}, {Recognizers: []Recognizer{nil}}} {
		if _, err := NewChain(cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("NewChain(%+v) = %v, want ErrBadConfig", cfg, err)
		}
	}
}

func TestUpstreamError(t *testing.T) {
	tests := []struct {
		err       *UpstreamError
		text      string
		retryable bool
		auth      bool
	}{
		{&UpstreamError{Backend: "x", Status: 401, Code: "AuthenticationError", Message: "bad key"},
			"asr x: status 401 (AuthenticationError): bad key", false, true},
		{&UpstreamError{Backend: "x", Status: 403}, "asr x: status 403: no message", false, true},
		{&UpstreamError{Backend: "x", Status: 429, Message: "slow down"}, "asr x: status 429: slow down", false, false},
		{&UpstreamError{Backend: "x", Status: 503, Message: "busy"}, "asr x: status 503: busy", true, false},
		{&UpstreamError{Backend: "x", Code: "invalid_audio", Message: "m"}, "asr x (invalid_audio): m", false, false},
		{&UpstreamError{Backend: "x", Message: "t", Err: ErrTimeout}, "asr x: t", false, false},
	}
	for _, tt := range tests {
		wrapped := fmt.Errorf("finish: %w", tt.err)
		if got := tt.err.Error(); got != tt.text {
			t.Errorf("got %q, want %q", got, tt.text)
		}
		if got := tt.err.Retryable(); got != tt.retryable {
			t.Errorf("%s: got retryable %v, want %v", tt.text, got, tt.retryable)
		}
		if got := errors.Is(wrapped, ErrUnauthorized); got != tt.auth {
			t.Errorf("%s: got unauthorized %v, want %v", tt.text, got, tt.auth)
		}
	}
}
