package rag

import "slices"

// hit is a scored document of an index.
type hit struct {
	doc   uint32
	score float32
}

// better orders hits: higher score first, then lower document number, so
// that results are deterministic.
func better(a, b hit) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.doc < b.doc
}

// topK keeps the k best hits pushed into it in a min-heap whose root is
// the worst kept hit.
type topK struct {
	k    int
	heap []hit
}

func newTopK(k int) *topK { return &topK{k: k, heap: make([]hit, 0, k)} }

func (t *topK) push(h hit) {
	if len(t.heap) < t.k {
		t.heap = append(t.heap, h)
		t.up(len(t.heap) - 1)
		return
	}
	if better(h, t.heap[0]) {
		t.heap[0] = h
		t.down(0)
	}
}

func (t *topK) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !better(t.heap[parent], t.heap[i]) {
			return
		}
		t.heap[parent], t.heap[i] = t.heap[i], t.heap[parent]
		i = parent
	}
}

func (t *topK) down(i int) {
	n := len(t.heap)
	for {
		worst := i
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < n && better(t.heap[worst], t.heap[c]) {
				worst = c
			}
		}
		if worst == i {
			return
		}
		t.heap[i], t.heap[worst] = t.heap[worst], t.heap[i]
		i = worst
	}
}

// sorted returns the kept hits, best first.
func (t *topK) sorted() []hit {
	out := slices.Clone(t.heap)
	slices.SortFunc(out, func(a, b hit) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return out
}
