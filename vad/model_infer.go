package vad

import "fmt"

// Infer evaluates one window of one stream on the caller's goroutine and
// returns its speech probability. window holds InputSize(rate) samples:
// the last ContextSize(rate) samples of the stream's previous window,
// then ChunkSize(rate) new ones, scaled to [-1, 1). st carries the
// stream's state and is updated. Concurrent calls of Infer and
// InferBatch take turns.
func (m *Model) Infer(rate int, window []float32, st *State) (float32, error) {
	if err := checkWindow(rate, window); err != nil {
		return 0, fmt.Errorf("vad infer: %w", err)
	}

	m.directMu.Lock()
	defer m.directMu.Unlock()
	if m.released {
		return 0, ErrClosed
	}
	rb := m.direct.at(rate)
	rb.load(0, 1, window, st)
	m.count(1)
	if err := rb.run(1); err != nil {
		return 0, fmt.Errorf("vad infer: %w", err)
	}
	return rb.store(0, 1, st), nil
}

// InferBatch evaluates windows of different streams at one rate as
// batches of up to MaxBatch, on the caller's goroutine. windows[i] is
// laid out as for Infer, states[i] is its stream's state, updated, and
// probs[i] receives its speech probability. A stream may appear only
// once per call: its second window needs the state the first produces.
func (m *Model) InferBatch(rate int, windows [][]float32, states []*State, probs []float32) error {
	if len(states) != len(windows) || len(probs) != len(windows) {
		return fmt.Errorf("vad infer batch: %d windows, %d states, %d probs: %w",
			len(windows), len(states), len(probs), ErrBatchSize)
	}
	for _, w := range windows {
		if err := checkWindow(rate, w); err != nil {
			return fmt.Errorf("vad infer batch: %w", err)
		}
	}

	m.directMu.Lock()
	defer m.directMu.Unlock()
	if m.released {
		return ErrClosed
	}
	rb := m.direct.at(rate)
	for start := 0; start < len(windows); start += m.maxBatch {
		n := min(m.maxBatch, len(windows)-start)
		for i := range n {
			rb.load(i, n, windows[start+i], states[start+i])
		}
		m.count(n)
		if err := rb.run(n); err != nil {
			return fmt.Errorf("vad infer batch of %d: %w", n, err)
		}
		for i := range n {
			probs[start+i] = rb.store(i, n, states[start+i])
		}
	}
	return nil
}

func checkWindow(rate int, window []float32) error {
	if ChunkSize(rate) == 0 {
		return fmt.Errorf("%d Hz: %w", rate, ErrSampleRate)
	}
	if len(window) != InputSize(rate) {
		return fmt.Errorf("%d samples at %d Hz, want %d: %w",
			len(window), rate, InputSize(rate), ErrWindowSize)
	}
	return nil
}
