package tts

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// scripted is a Synthesizer that fails while err is set, else speaks one
// short stream that ends with end.
type scripted struct {
	err   error
	end   error
	calls int
}

func (s *scripted) Synthesize(ctx context.Context, req Request) (Stream, error) {
	s.calls++
	if s.err != nil {
		return nil, s.err
	}
	return &endStream{Stream: NewPCMStream(16000, make([]int16, 160)), end: s.end}, nil
}

// endStream ends with end instead of io.EOF when end is set.
type endStream struct {
	Stream
	end error
}

func (e *endStream) Read(p []int16) (int, error) {
	n, err := e.Stream.Read(p)
	if errors.Is(err, io.EOF) && e.end != nil {
		err = e.end
	}
	return n, err
}

func TestChainFallsBackAndSkipsADeadBackend(t *testing.T) {
	now := time.Unix(0, 0)
	dead := &scripted{err: errors.New("connection refused")}
	local := &scripted{}
	c, err := NewChain(ChainConfig{Synthesizers: []Synthesizer{dead, local}, Threshold: 2,
		Cooldown: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}

	for range 3 {
		s, err := c.Synthesize(t.Context(), Request{Text: "hello"})
		if err != nil {
			t.Fatalf("got %v, want the local backend to speak", err)
		}
		if _, _, err := ReadAll(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	if dead.calls != 2 || local.calls != 3 {
		t.Fatalf("dead tried %d times, local %d; want 2 (then the breaker opens) and 3",
			dead.calls, local.calls)
	}

	now = now.Add(time.Minute)
	dead.err = nil
	if _, err := c.Synthesize(t.Context(), Request{Text: "hello"}); err != nil || dead.calls != 3 {
		t.Fatalf("after the cool-down: err %v, dead tried %d times; want a trial that succeeds",
			err, dead.calls)
	}
}

func TestChainCountsBrokenStreamsAndPassesRequestErrors(t *testing.T) {
	broken := &scripted{end: errors.New("connection reset")}
	local := &scripted{}
	c, _ := NewChain(ChainConfig{Synthesizers: []Synthesizer{broken, local}, Threshold: 1})
	s, _ := c.Synthesize(t.Context(), Request{Text: "hello"})
	if _, _, err := ReadAll(t.Context(), s); err == nil {
		t.Fatal("a broken stream read as complete")
	}
	if c.Synthesize(t.Context(), Request{Text: "again"}); local.calls != 1 {
		t.Fatalf("local called %d times, want 1 after the broken stream opened the breaker", local.calls)
	}

	empty := &scripted{err: ErrEmptyText}
	other := &scripted{}
	c, _ = NewChain(ChainConfig{Synthesizers: []Synthesizer{empty, other}})
	if _, err := c.Synthesize(t.Context(), Request{}); !errors.Is(err, ErrEmptyText) || other.calls != 0 {
		t.Fatalf("got %v with the fallback called %d times; want ErrEmptyText and no fallback",
			err, other.calls)
	}
}
