package rag

// rrfK is the rank constant of reciprocal rank fusion (Cormack, Clarke and
// Buettcher, "Reciprocal Rank Fusion outperforms Condorcet and individual
// Rank Learning Methods", SIGIR 2009).
const rrfK = 60

// fuseRRF merges ranked lists by reciprocal rank fusion: a document scores
// the sum of 1/(rrfK + rank) over the lists it appears in, rank counting
// from 1. The result is sorted best first; ties keep the lower document
// number first.
func fuseRRF(lists ...[]hit) []hit {
	scores := make(map[uint32]float32)
	var order []uint32
	for _, list := range lists {
		for rank, h := range list {
			if _, seen := scores[h.doc]; !seen {
				order = append(order, h.doc)
			}
			scores[h.doc] += 1 / float32(rrfK+rank+1)
		}
	}
	top := newTopK(len(order))
	for _, d := range order {
		top.push(hit{doc: d, score: scores[d]})
	}
	return top.sorted()
}
