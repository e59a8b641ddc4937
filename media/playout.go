package media

import (
	"sync"
	"time"
)

// Playout is a flushable FIFO of agent audio at PipelineRate: text to
// speech enqueues, the stream's clock takes one frame per tick. Enqueue
// may allocate; the tick's read does not. It is safe for concurrent use.
//
// Every sample ever enqueued has a position, counted from 0 over the
// life of the queue, so that a caller can tell how much of what it
// queued has been heard: Position is the next sample the clock takes
// (flushed samples count as passed) and End is where the next Enqueue
// starts.
type Playout struct {
	mu sync.Mutex // guards the fields below
	// buf[head:] is the queued audio. head moves forward as the clock
	// reads, and the live part is slid down when Enqueue needs room, so
	// the backing array is reused for the life of the call.
	buf  []int16
	head int
	// drained is closed, and set to nil, when the queue becomes empty.
	drained chan struct{}
	// pos and end are the positions of the next sample to take and of
	// the next sample to enqueue.
	pos, end int64
	// paused makes the clock take silence and leave the queue alone.
	paused bool
	// waits are the channels from Reached, closed once pos reaches them.
	waits []posWaiter
}

// posWaiter is one Reached channel and the position it waits for.
type posWaiter struct {
	pos int64
	ch  chan struct{}
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
	p.end += int64(len(pcm))
}

// Flush drops everything queued, for barge-in, and returns how many
// samples it dropped. Channels from Drained are closed, and so are those
// from Reached for positions up to End. Flush does not end a Pause.
func (p *Playout) Flush() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.buf) - p.head
	p.pos = p.end
	p.reset()
	p.wake()
	return n
}

// Pause stops the clock taking audio: it sends silence from the next
// tick on, and the queue keeps its place until Resume. A barge-in pauses
// first and flushes only once the caller's words prove an interruption,
// so that a cough costs the caller nothing of the answer.
func (p *Playout) Pause() {
	p.mu.Lock()
	p.paused = true
	p.mu.Unlock()
}

// Resume lets the clock take audio again where Pause stopped it.
func (p *Playout) Resume() {
	p.mu.Lock()
	p.paused = false
	p.mu.Unlock()
}

// Pending is how much audio is queued.
func (p *Playout) Pending() time.Duration {
	p.mu.Lock()
	n := len(p.buf) - p.head
	p.mu.Unlock()
	return time.Duration(n) * time.Second / PipelineRate
}

// Position is the position of the next sample the clock will take:
// every sample before it was played or flushed.
func (p *Playout) Position() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pos
}

// End is the position the next enqueued sample will have: the count of
// samples ever enqueued.
func (p *Playout) End() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.end
}

// Reached returns a channel that is closed once Position reaches pos:
// when the clock has taken the sample before pos, or a Flush dropped it.
// It is closed already if Position is there. A pos beyond End waits for
// audio enqueued later.
func (p *Playout) Reached(pos int64) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pos <= p.pos {
		return closedChan
	}
	w := posWaiter{pos: pos, ch: make(chan struct{})}
	p.waits = append(p.waits, w)
	return w.ch
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

// Read is the clock's tick: it fills dst from the head of the queue, pads
// it with silence when the queue runs short or is paused, and returns how
// many samples were queued audio. The media stream calls it; a transport
// of its own, or a test standing in for the clock, may too. It neither
// allocates nor blocks beyond the short critical section of Enqueue.
func (p *Playout) Read(dst []int16) int { return p.read(dst) }

// read implements Read.
func (p *Playout) read(dst []int16) int {
	p.mu.Lock()
	n := 0
	if !p.paused {
		n = copy(dst, p.buf[p.head:])
		p.head += n
		p.pos += int64(n)
	}
	if p.head == len(p.buf) && (n > 0 || p.drained != nil) {
		p.reset()
	}
	if n > 0 && len(p.waits) > 0 {
		p.wake()
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

// wake closes the Reached channels whose position has been reached and
// keeps the others, in place. p.mu must be held.
func (p *Playout) wake() {
	kept := p.waits[:0]
	for _, w := range p.waits {
		if w.pos <= p.pos {
			close(w.ch)
			continue
		}
		kept = append(kept, w)
	}
	clear(p.waits[len(kept):])
	p.waits = kept
}
