package rag

import "math"

// denseIndex is an immutable brute-force cosine index: vectors are
// normalized once at build, so a search is one dot product per document.
type denseIndex struct {
	dim  int
	docs []uint32  // index document number of each row
	vecs []float32 // rows of dim values
}

// buildDenseIndex indexes the vectors of dimension dim; documents whose
// vector is missing, of another dimension or zero are left out.
func buildDenseIndex(vectors [][]float32, dim int) *denseIndex {
	ix := &denseIndex{dim: dim}
	for d, v := range vectors {
		if len(v) != dim || dim == 0 {
			continue
		}
		start := len(ix.vecs)
		ix.vecs = append(ix.vecs, v...)
		if !normalize(ix.vecs[start:]) {
			ix.vecs = ix.vecs[:start]
			continue
		}
		ix.docs = append(ix.docs, uint32(d))
	}
	if len(ix.docs) == 0 {
		return nil
	}
	return ix
}

// normalize scales v to unit length in place; it reports false for a
// zero or non-finite vector.
func normalize(v []float32) bool {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	norm := math.Sqrt(sum)
	if norm == 0 || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return false
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / norm)
	}
	return true
}

// search returns the k documents most similar to the query vector, best
// first, with their cosine similarity. A query of the wrong dimension
// finds nothing.
func (ix *denseIndex) search(query []float32, k int) []hit {
	if ix == nil || len(query) != ix.dim || k <= 0 {
		return nil
	}
	q := append([]float32(nil), query...)
	if !normalize(q) {
		return nil
	}
	top := newTopK(k)
	for row, d := range ix.docs {
		v := ix.vecs[row*ix.dim : (row+1)*ix.dim]
		var dot float32
		for i, x := range v {
			dot += x * q[i]
		}
		top.push(hit{doc: d, score: dot})
	}
	return top.sorted()
}
