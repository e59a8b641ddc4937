package media

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// countTicker counts its ticks; with slow set, its first tick takes that
// long.
type countTicker struct {
	n    atomic.Int64
	slow time.Duration
}

func (c *countTicker) tick() {
	if c.n.Add(1) == 1 && c.slow > 0 {
		time.Sleep(c.slow)
	}
}

// runClock starts c and returns a function that stops it and waits.
func runClock(t *testing.T, c *Clock) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

func TestClockTicksEveryFrame(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		synctest.Test(t, func(t *testing.T) {
			c := NewClock(ClockWorkers(workers))
			stop := runClock(t, c)
			defer stop()

			tickers := make([]*countTicker, 5)
			shards := make([]*clockShard, len(tickers))
			for i := range tickers {
				tickers[i] = &countTicker{}
				shards[i] = c.add(tickers[i])
			}
			if got, want := c.Len(), len(tickers); got != want {
				t.Errorf("Len = %d, want %d", got, want)
			}
			time.Sleep(time.Second + FrameDuration/2)
			for i, tk := range tickers {
				if got := tk.n.Load(); got != 50 {
					t.Errorf("workers %d: ticker %d ticked %d times in 1 s, want 50",
						workers, i, got)
				}
			}

			c.remove(tickers[0], shards[0])
			time.Sleep(time.Second)
			if got := tickers[0].n.Load(); got != 50 {
				t.Errorf("removed ticker ticked %d times, want 50", got)
			}
			if got := tickers[1].n.Load(); got != 100 {
				t.Errorf("kept ticker ticked %d times, want 100", got)
			}
			if got := c.Overruns(); got != 0 {
				t.Errorf("overruns = %d, want 0", got)
			}
		})
	}
}

func TestClockResyncsInsteadOfBursting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMetrics(nil)
		c := NewClock(ClockWorkers(1), ClockMetrics(m))
		stop := runClock(t, c)
		defer stop()

		// The first tick, due at 20 ms, takes 100 ms. The clock then runs
		// one tick at 120 ms and restarts its schedule from there; had it
		// burst to catch up, the second would see 50 ticks by 1.01 s.
		slow := &countTicker{slow: 100 * time.Millisecond}
		c.add(slow)
		time.Sleep(time.Second + 10*time.Millisecond)
		if got, want := slow.n.Load(), int64(1+1+(1010-120)/20); got != want {
			t.Errorf("ticks = %d, want %d", got, want)
		}
		if got := c.Overruns(); got != 2 {
			t.Errorf("overruns = %d, want 2 (one long tick, one restart)", got)
		}
	})
}

func TestClockRunsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewClock()
		stop := runClock(t, c)
		synctest.Wait()
		if err := c.Run(t.Context()); !errors.Is(err, ErrClockRunning) {
			t.Errorf("second Run = %v, want ErrClockRunning", err)
		}
		stop()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := c.Run(ctx); err != nil {
			t.Errorf("Run after stop = %v, want nil", err)
		}
	})
}

func TestClockAddRemoveWhileRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewClock(ClockWorkers(2))
		stop := runClock(t, c)
		defer stop()

		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 20 {
					tk := &countTicker{}
					sh := c.add(tk)
					time.Sleep(30 * time.Millisecond)
					c.remove(tk, sh)
				}
			})
		}
		wg.Wait()
		if got := c.Len(); got != 0 {
			t.Errorf("Len after removing all = %d, want 0", got)
		}
	})
}
