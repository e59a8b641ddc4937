package media

import (
	"sync"
	"time"
)

// Playout is a flushable FIFO of agent audio at PipelineRate: text to
// speech enqueues, the stream's clock takes one frame per tick. Enqueue
// may allocate; the tick's read does not. It is safe for concurrent use.
type Playout struct {
	mu sync.Mutex // guards the fields below
	// buf[head:] is the queued audio. head moves forward as the clock
	// reads, and the live part is slid down when Enqueue needs room, so
	// the backing array is reused for the life of the call.
	buf  []int16
	head int
	// drained is closed, and set to nil, when the queue becomes empty.
	drained chan struct{}
}

// NewPlayout returns an empty queue. A zero Playout is ready to use too.
func NewPlayout() *Playout { return &Playout{} }

// Enqueue appends a copy of pcm (mono, PipelineRate) to the queue.
func (p *Playout) Enqueue(pcm []int16) {
	if len(pcm) == 0 {
		return
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.head > 0 && len(p.buf)+len(pcm) > cap(p.buf) {
		n := copy(p.buf, p.buf[p.head:])
		p.buf = p.buf[:n]
		p.head = 0
	}
	p.buf = append(p.buf, pcm...)
}

// Flush drops everything queued, for barge-in, and returns how many
// samples it dropped. Channels from Drained are closed.
func (p *Playout) Flush() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.buf) - p.head
	p.reset()
	return n
}

// Pending is how much audio is queued.
func (p *Playout) Pending() time.Duration {
	p.mu.Lock()
	n := len(p.buf) - p.head
	p.mu.Unlock()
	return time.Duration(n) * time.Second / PipelineRate
}

// Drained returns a channel that is closed the next time the queue
// becomes empty: when the clock takes its last sample or on Flush. If
// the queue is empty already, the channel is closed.
func (p *Playout) Drained() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) == p.head {
		return closedChan
	}
	if p.drained == nil {
		p.drained = make(chan struct{})
	}
	return p.drained
}

// closedChan is what Drained returns for a queue that is empty already.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// read fills dst from the head of the queue, pads it with silence when
// the queue runs short and returns how many samples were queued audio.
// It runs on the clock's tick: it neither allocates nor blocks beyond the
// short critical section of Enqueue.
func (p *Playout) read(dst []int16) int {
	p.mu.Lock()
	n := copy(dst, p.buf[p.head:])
	p.head += n
	if p.head == len(p.buf) && (n > 0 || p.drained != nil) {
		p.reset()
	}
	p.mu.Unlock()

	clear(dst[n:])
	return n
}

// reset empties the queue, keeping its array, and wakes Drained waiters.
// p.mu must be held.
func (p *Playout) reset() {
	p.buf = p.buf[:0]
	p.head = 0
	if p.drained != nil {
		close(p.drained)
		p.drained = nil
	}
}
