package breaker

import (
	"testing"
	"time"
)

func TestBreakerOpensAndCloses(t *testing.T) {
	now := time.Unix(0, 0)
	s := New(2, Config{Threshold: 2, Cooldown: time.Minute, Now: func() time.Time { return now }})

	s.Record(0, false)
	if !s.Allowed(0) {
		t.Fatal("one failure opened the breaker, want two")
	}
	s.Record(0, false)
	if s.Allowed(0) || !s.Allowed(1) {
		t.Fatalf("after two failures: allowed(0) = %v, allowed(1) = %v; want false, true",
			s.Allowed(0), s.Allowed(1))
	}

	now = now.Add(time.Minute)
	if !s.Allowed(0) {
		t.Fatal("breaker still open after the cool-down")
	}
	s.Record(0, false)
	if s.Allowed(0) {
		t.Fatal("a failed trial after the cool-down did not reopen the breaker")
	}

	now = now.Add(time.Minute)
	s.Record(0, true)
	s.Record(0, false)
	if !s.Allowed(0) {
		t.Fatal("a success did not reset the failure count")
	}
}
