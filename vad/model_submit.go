package vad

import "fmt"

// A request is one Detector's window on its way through the model. The
// Detector owns it and reuses it for every window, so submitting
// allocates nothing.
type request struct {
	rate   int
	window []float32
	state  *State
	prob   float32
	err    error
	// done receives exactly one message per submit that queued the
	// request: false when a leader has run it (prob or err set), true
	// when the request's own goroutine must lead the next batch.
	done chan bool
}

func newRequest(rate int, window []float32, st *State) request {
	return request{rate: rate, window: window, state: st, done: make(chan bool, 1)}
}

// lane is what a leader needs to run one batch: the bound tensors and
// room for the batch's requests.
type lane struct {
	*buffers
	batch []*request
}

// submit runs r's window, batched with whatever other windows are
// waiting, and returns once r.prob or r.err is set.
//
// There is no inference goroutine: the goroutine that submits while a
// lane is free becomes the leader and runs the batch itself, so a window
// that arrives alone runs at once with no hand-off between threads.
// Windows that arrive while every lane is busy queue up, and the leader
// that finishes next passes the lead to the oldest of them, whose
// goroutine runs it with the others queued behind it. Under load the
// queue fills while a batch runs, so batches grow just when running them
// together pays.
func (m *Model) submit(r *request) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	if m.leaders < cap(m.lanes) {
		m.leaders++
		m.leading.Add(1)
		m.mu.Unlock()
		m.lead(r)
		return r.err
	}
	m.pending = append(m.pending, r)
	m.mu.Unlock()

	if lead := <-r.done; lead {
		m.lead(r)
	}
	return r.err
}

// lead runs a batch headed by r, answers the other windows in it and
// then passes the lead on, or gives it up when nothing waits.
func (m *Model) lead(r *request) {
	l := <-m.lanes
	m.mu.Lock()
	batch := m.take(append(l.batch[:0], r))
	m.mu.Unlock()

	m.count(len(batch))
	runBatch(l.at(r.rate), batch)
	for _, o := range batch[1:] {
		o.done <- false
	}
	clear(batch)
	l.batch = batch[:0]
	m.lanes <- l

	m.mu.Lock()
	if len(m.pending) == 0 {
		m.leaders--
		m.mu.Unlock()
		m.leading.Done()
		return
	}
	next := m.pending[0]
	n := copy(m.pending, m.pending[1:])
	m.pending[n] = nil
	m.pending = m.pending[:n]
	m.mu.Unlock()
	next.done <- true
}

// take moves the oldest waiting windows at the rate of batch[0] into
// batch, up to its capacity. The caller holds m.mu.
func (m *Model) take(batch []*request) []*request {
	rate := batch[0].rate
	kept := m.pending[:0]
	for _, p := range m.pending {
		if p.rate == rate && len(batch) < cap(batch) {
			batch = append(batch, p)
		} else {
			kept = append(kept, p)
		}
	}
	clear(m.pending[len(kept):])
	m.pending = kept
	return batch
}

// runBatch runs a non-empty batch of same-rate requests, setting each
// one's prob and err.
func runBatch(rb *rateBuffers, batch []*request) {
	n := len(batch)
	for i, r := range batch {
		rb.load(i, n, r.window, r.state)
	}
	err := rb.run(n)
	if err != nil {
		err = fmt.Errorf("vad batch of %d: %w", n, err)
	}
	for i, r := range batch {
		r.prob, r.err = 0, err
		if err == nil {
			r.prob = rb.store(i, n, r.state)
		}
	}
}
