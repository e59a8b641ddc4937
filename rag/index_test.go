package rag

import (
	"reflect"
	"testing"
)

func TestLexIndexRanksByBM25(t *testing.T) {
	ix := buildLexIndex([]lexDoc{
		{heading: "Gas", body: "gas price per kwh"},
		{heading: "Power", body: "power price per kwh, no gas"},
		{heading: "Hours", body: "opening hours saturday"},
	})
	got := ix.search(ix.lookup(queryTerms("gas price")), 10)
	if len(got) != 2 || got[0].doc != 0 || got[1].doc != 1 {
		t.Fatalf("got %+v, want doc 0 then doc 1", got)
	}
	if got := ix.search(ix.lookup(queryTerms("unknown words")), 10); got != nil {
		t.Errorf("unknown terms: got %+v, want nil", got)
	}
	if c := ix.coverage(queryTerms("gas price zebra"), 0); c < 0.66 || c > 0.67 {
		t.Errorf("coverage = %v, want 2/3", c)
	}
}

func TestLexIndexSearchDoesNotLeakScores(t *testing.T) {
	ix := buildLexIndex([]lexDoc{{body: "alpha"}, {body: "beta"}, {body: "alpha beta"}})
	first := ix.search(ix.lookup([]string{"alpha"}), 3)
	second := ix.search(ix.lookup([]string{"alpha"}), 3)
	if !reflect.DeepEqual(first, second) {
		t.Errorf("repeated query: got %+v then %+v, want equal results", first, second)
	}
}

func TestTopKKeepsBest(t *testing.T) {
	top := newTopK(3)
	for i, s := range []float32{5, 1, 9, 3, 7, 9} {
		top.push(hit{doc: uint32(i), score: s})
	}
	want := []hit{{2, 9}, {5, 9}, {4, 7}}
	if got := top.sorted(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestDenseIndex(t *testing.T) {
	ix := buildDenseIndex([][]float32{{1, 0}, {0, 2}, nil, {1, 1}, {0, 0}, {1, 2, 3}}, 2)
	got := ix.search([]float32{0, 5}, 2)
	if len(got) != 2 || got[0].doc != 1 || got[0].score < 0.999 || got[1].doc != 3 {
		t.Errorf("got %+v, want doc 1 (cosine 1) then doc 3", got)
	}
	if got := ix.search([]float32{1, 2, 3}, 2); got != nil {
		t.Errorf("wrong dimension: got %+v, want nil", got)
	}
	if buildDenseIndex([][]float32{nil, nil}, 0) != nil {
		t.Error("index without vectors is not nil")
	}
}

func TestFuseRRF(t *testing.T) {
	lex := []hit{{doc: 1}, {doc: 2}, {doc: 3}}
	dense := []hit{{doc: 3}, {doc: 4}, {doc: 1}}
	got := fuseRRF(lex, dense)
	order := make([]uint32, len(got))
	for i, h := range got {
		order[i] = h.doc
	}
	// 1: 1/61+1/63, 3: 1/63+1/61 (tie, lower doc first), 2: 1/62, 4: 1/62.
	if want := []uint32{1, 3, 2, 4}; !reflect.DeepEqual(order, want) {
		t.Errorf("got order %v, want %v", order, want)
	}
	if want := float32(1.0/61 + 1.0/63); got[0].score-want > 1e-6 || want-got[0].score > 1e-6 {
		t.Errorf("got score %v, want %v", got[0].score, want)
	}
}
