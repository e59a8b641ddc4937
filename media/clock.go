package media

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// maxClockLag is how far behind its schedule the clock may fall and still
// catch up by ticking back to back; past it, the clock counts an overrun
// and restarts its schedule from now rather than bursting frames out.
const maxClockLag = 3 * FrameDuration

// ticker is what a Clock drives: a stream's per-frame work. tick must not
// block, allocate or log.
type ticker interface{ tick() }

// ClockOption configures a Clock.
type ClockOption func(*Clock)

// ClockWorkers spreads the streams over n goroutines, each ticking its
// share every frame. The default is GOMAXPROCS; values below 1 mean 1.
func ClockWorkers(n int) ClockOption {
	return func(c *Clock) { c.workers = max(n, 1) }
}

// ClockMetrics counts the clock's overruns in m.
func ClockMetrics(m *Metrics) ClockOption {
	return func(c *Clock) { c.metrics = m }
}

// Clock is the one pacing clock of a process: every FrameDuration it runs
// the per-frame work of every stream added to it. Its schedule is
// monotonic (tick n is due at start + n*FrameDuration), so timer slack
// does not accumulate into drift. Streams are sharded over a few worker
// goroutines, so a tick uses every core. Adding and removing streams is
// safe while it runs.
type Clock struct {
	workers int
	metrics *Metrics
	shards  []*clockShard // fixed by NewClock

	running  atomic.Bool
	ticks    atomic.Uint64
	overruns atomic.Uint64
}

// clockShard is the part of the streams one worker ticks.
type clockShard struct {
	// mu guards streams. A worker holds it for its whole tick, so remove
	// returns only once the stream's tick in progress, if any, is over.
	mu      sync.Mutex
	streams []ticker
	n       atomic.Int32 // len(streams), read without mu to balance adds
	wake    chan struct{}
}

// NewClock returns a clock; Run starts it.
func NewClock(opts ...ClockOption) *Clock {
	c := &Clock{workers: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(c)
	}
	c.shards = make([]*clockShard, c.workers)
	for i := range c.shards {
		c.shards[i] = &clockShard{wake: make(chan struct{}, 1)}
	}
	return c
}

// Run ticks until ctx ends and returns nil then, once every worker it
// started has stopped. A clock runs once at a time: a concurrent second
// Run returns ErrClockRunning.
func (c *Clock) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return ErrClockRunning
	}
	defer c.running.Store(false)

	var workers, tickDone sync.WaitGroup
	stop := make(chan struct{})
	for _, sh := range c.shards[1:] {
		workers.Go(func() { sh.work(stop, &tickDone) })
	}
	defer workers.Wait()
	defer close(stop)

	timer := time.NewTimer(FrameDuration)
	defer timer.Stop()
	start := time.Now()
	for n := 1; ; n++ {
		due := start.Add(time.Duration(n) * FrameDuration)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return nil
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return nil
		}

		began := time.Now()
		if lag := began.Sub(due); lag > maxClockLag {
			c.overrun()
			start, n = began, 0
		} else if lag > FrameDuration {
			c.overrun()
		}
		c.tickAll(&tickDone)
		if time.Since(began) > FrameDuration {
			c.overrun()
		}
	}
}

// tickAll runs one tick of every shard and returns when all are done.
// The first shard runs on the calling goroutine.
func (c *Clock) tickAll(done *sync.WaitGroup) {
	c.ticks.Add(1)
	done.Add(len(c.shards) - 1)
	for _, sh := range c.shards[1:] {
		sh.wake <- struct{}{}
	}
	c.shards[0].tick()
	done.Wait()
}

func (c *Clock) overrun() {
	c.overruns.Add(1)
	c.metrics.overrun()
}

// Ticks is how many ticks the clock has run.
func (c *Clock) Ticks() uint64 { return c.ticks.Load() }

// Overruns counts ticks that started more than a frame late or took
// longer than a frame, and schedule restarts.
func (c *Clock) Overruns() uint64 { return c.overruns.Load() }

// Len is how many streams the clock drives.
func (c *Clock) Len() int {
	n := 0
	for _, sh := range c.shards {
		n += int(sh.n.Load())
	}
	return n
}

// add starts ticking t from the next tick on and returns the shard that
// holds it, to pass to remove.
func (c *Clock) add(t ticker) *clockShard {
	best := c.shards[0]
	for _, sh := range c.shards[1:] {
		if sh.n.Load() < best.n.Load() {
			best = sh
		}
	}

	best.mu.Lock()
	best.streams = append(best.streams, t)
	best.n.Store(int32(len(best.streams)))
	best.mu.Unlock()
	return best
}

// remove stops ticking t. When it returns, no tick of t is running or
// will run, so t may release what its tick uses.
func (c *Clock) remove(t ticker, sh *clockShard) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for i, s := range sh.streams {
		if s == t {
			last := len(sh.streams) - 1
			sh.streams[i] = sh.streams[last]
			sh.streams[last] = nil
			sh.streams = sh.streams[:last]
			break
		}
	}
	sh.n.Store(int32(len(sh.streams)))
}

// work runs the shard's ticks on a worker goroutine until stop closes.
func (sh *clockShard) work(stop <-chan struct{}, done *sync.WaitGroup) {
	for {
		select {
		case <-stop:
			return
		case <-sh.wake:
			sh.tick()
			done.Done()
		}
	}
}

func (sh *clockShard) tick() {
	sh.mu.Lock()
	for _, t := range sh.streams {
		t.tick()
	}
	sh.mu.Unlock()
}
