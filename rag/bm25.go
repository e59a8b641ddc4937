package rag

import (
	"math"
	"slices"
	"sync"
)

// BM25 parameters (Robertson and Zaragoza, "The Probabilistic Relevance
// Framework: BM25 and Beyond", 2009).
const (
	bm25K1 = 1.2
	bm25B  = 0.75
	// headingWeight counts heading terms this many times: a heading names
	// what its passage is about.
	headingWeight = 2
)

// posting is one document's entry in a term's posting list.
type posting struct {
	doc uint32
	tf  uint16
}

// lexDoc is the text of one document of a lexical index.
type lexDoc struct {
	heading, body string
}

// lexIndex is an immutable BM25 inverted index. Documents are numbered
// 0..n-1 in the order given to buildLexIndex; posting lists are sorted by
// document.
type lexIndex struct {
	terms    map[string]uint32
	postings [][]posting
	idf      []float32
	// norm is k1 * (1 - b + b*len/avglen) per document, the length part
	// of BM25's denominator, computed once.
	norm    []float32
	scratch sync.Pool // *lexScratch
}

// lexScratch is the per-query working memory, reused across queries.
type lexScratch struct {
	acc     []float32
	touched []uint32
}

// buildLexIndex indexes docs: heading terms count headingWeight times.
func buildLexIndex(docs []lexDoc) *lexIndex {
	ix := &lexIndex{terms: make(map[string]uint32)}
	cache := make(termCache)
	lengths := make([]float32, len(docs))
	var ids []uint32
	var total float64

	for d, doc := range docs {
		ids = ids[:0]
		add := func(w string) {
			if t := cache.term(w); t != "" {
				ids = append(ids, ix.termID(t))
			}
		}
		for range headingWeight {
			splitWords(doc.heading, add)
		}
		splitWords(doc.body, add)
		lengths[d] = float32(len(ids))
		total += float64(len(ids))
		ix.addPostings(uint32(d), ids)
	}

	n := len(docs)
	avg := float32(total / math.Max(1, float64(n)))
	if avg == 0 {
		avg = 1
	}
	ix.norm = make([]float32, n)
	for d, l := range lengths {
		ix.norm[d] = bm25K1 * (1 - bm25B + bm25B*l/avg)
	}
	ix.idf = make([]float32, len(ix.postings))
	for t, list := range ix.postings {
		df := float64(len(list))
		ix.idf[t] = float32(math.Log(1 + (float64(n)-df+0.5)/(df+0.5)))
	}
	ix.scratch.New = func() any { return &lexScratch{acc: make([]float32, n)} }
	return ix
}

func (ix *lexIndex) termID(t string) uint32 {
	id, ok := ix.terms[t]
	if !ok {
		id = uint32(len(ix.postings))
		ix.terms[t] = id
		ix.postings = append(ix.postings, nil)
	}
	return id
}

// addPostings appends document d to the posting list of each distinct
// term in ids, with its count.
func (ix *lexIndex) addPostings(d uint32, ids []uint32) {
	slices.Sort(ids)
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && ids[j] == ids[i] {
			j++
		}
		tf := min(j-i, math.MaxUint16)
		ix.postings[ids[i]] = append(ix.postings[ids[i]], posting{doc: d, tf: uint16(tf)})
		i = j
	}
}

// lookup returns the ids of the query terms the index knows.
func (ix *lexIndex) lookup(terms []string) []uint32 {
	ids := make([]uint32, 0, len(terms))
	for _, t := range terms {
		if id, ok := ix.terms[t]; ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// search returns the k best documents for the term ids, best first. It
// accumulates scores in a dense array and selects with a bounded heap, so
// a query allocates only its result.
func (ix *lexIndex) search(ids []uint32, k int) []hit {
	if len(ids) == 0 || k <= 0 || len(ix.norm) == 0 {
		return nil
	}
	s := ix.scratch.Get().(*lexScratch)
	defer ix.scratch.Put(s)

	acc := s.acc
	touched := s.touched[:0]
	for _, id := range ids {
		idf := ix.idf[id]
		for _, p := range ix.postings[id] {
			tf := float32(p.tf)
			if acc[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			acc[p.doc] += idf * tf * (bm25K1 + 1) / (tf + ix.norm[p.doc])
		}
	}

	top := newTopK(k)
	for _, d := range touched {
		top.push(hit{doc: d, score: acc[d]})
		acc[d] = 0
	}
	s.touched = touched
	return top.sorted()
}

// contains reports whether document d holds term id.
func (ix *lexIndex) contains(id, d uint32) bool {
	list := ix.postings[id]
	_, found := slices.BinarySearchFunc(list, d, func(p posting, d uint32) int {
		return int(int64(p.doc) - int64(d))
	})
	return found
}

// coverage is the fraction of query terms that document d contains.
// Terms the index does not know count as missing.
func (ix *lexIndex) coverage(terms []string, d uint32) float64 {
	if len(terms) == 0 {
		return 0
	}
	matched := 0
	for _, t := range terms {
		if id, ok := ix.terms[t]; ok && ix.contains(id, d) {
			matched++
		}
	}
	return float64(matched) / float64(len(terms))
}
