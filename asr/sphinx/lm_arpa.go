package sphinx

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// A small n-gram language model estimator, enough for a tenant's knowledge
// base: interpolated Kneser-Ney (Chen and Goodman, "An Empirical Study of
// Smoothing Techniques for Language Modeling", 1998, section 3) with one
// discount per order, written in the ARPA back-off format that
// pocketsphinx reads. Interpolation is exact in that format: an n-gram's
// stored probability already includes its share of the lower order, and
// its history's back-off weight is the mass it gives the lower order.

// Sentence boundary tokens of the ARPA format and of pocketsphinx.
const (
	sentStart = "<s>"
	sentEnd   = "</s>"
)

// lmOrder is the n-gram order of corpus models: trigrams, like the generic
// model.
const lmOrder = 3

// ngramStats holds the counts of one order.
type ngramStats struct {
	// count is the raw count at the top order and the continuation count
	// (distinct left neighbours) below it, keyed by space-joined words.
	count map[string]float64
	// total and types are, per history, the sum of counts and the number
	// of distinct following words.
	total map[string]float64
	types map[string]float64
	// discount is the absolute discount of this order.
	discount float64
}

// arpaModel is an estimated model, ready to write.
type arpaModel struct {
	order  int
	orders []*ngramStats // orders[k-1] holds the k-grams
	vocab  []string      // sorted, without <s>
}

// estimate builds a model of the given order from sentences of words.
func estimate(sents [][]string, order int) *arpaModel {
	raw := make([]map[string]float64, order)
	for k := range raw {
		raw[k] = map[string]float64{}
	}
	vocab := map[string]bool{sentEnd: true}
	for _, s := range sents {
		padded := append(append([]string{sentStart}, s...), sentEnd)
		for _, w := range s {
			vocab[w] = true
		}
		for i := range padded {
			for k := 1; k <= order && i+k <= len(padded); k++ {
				raw[k-1][strings.Join(padded[i:i+k], " ")]++
			}
		}
	}

	m := &arpaModel{order: order, orders: make([]*ngramStats, order)}
	for w := range vocab {
		m.vocab = append(m.vocab, w)
	}
	slices.Sort(m.vocab)
	for k := order; k >= 1; k-- {
		m.orders[k-1] = newStats(raw, k, order)
	}
	return m
}

// newStats computes the counts of order k: raw at the top order and for
// n-grams that begin a sentence, which have no left neighbour; the number
// of distinct left neighbours otherwise.
func newStats(raw []map[string]float64, k, order int) *ngramStats {
	st := &ngramStats{
		count: map[string]float64{},
		total: map[string]float64{},
		types: map[string]float64{},
	}
	if k == order {
		for g, c := range raw[k-1] {
			st.count[g] = c
		}
	} else {
		for g := range raw[k] {
			_, rest, _ := strings.Cut(g, " ")
			st.count[rest]++
		}
		for g, c := range raw[k-1] {
			if strings.HasPrefix(g, sentStart+" ") || g == sentStart {
				st.count[g] = c
			}
		}
	}

	var n1, n2 float64
	for g, c := range st.count {
		if g == sentStart {
			continue
		}
		switch c {
		case 1:
			n1++
		case 2:
			n2++
		}
		h := history(g)
		st.total[h] += c
		st.types[h]++
	}
	st.discount = 0.5
	if n1 > 0 && n2 > 0 {
		st.discount = min(max(n1/(n1+2*n2), 0.1), 0.9)
	}
	return st
}

// history is all but the last word of an n-gram; "" for a unigram.
func history(g string) string {
	i := strings.LastIndexByte(g, ' ')
	if i < 0 {
		return ""
	}
	return g[:i]
}

// prob is the interpolated probability of the n-gram g (history then
// word), of order len(words).
func (m *arpaModel) prob(words []string) float64 {
	k := len(words)
	st := m.orders[k-1]
	g := strings.Join(words, " ")
	h := history(g)

	var lower float64
	if k == 1 {
		lower = 1 / float64(len(m.vocab))
	} else {
		lower = m.prob(words[1:])
	}
	total := st.total[h]
	if total == 0 {
		return lower
	}
	direct := max(st.count[g]-st.discount, 0) / total
	return direct + st.discount*st.types[h]/total*lower
}

// backoff is the weight of history g toward the next lower order, or
// false when g is not the history of any longer n-gram.
func (m *arpaModel) backoff(g string, k int) (float64, bool) {
	if k >= m.order {
		return 0, false
	}
	st := m.orders[k]
	total := st.total[g]
	if total == 0 {
		return 0, false
	}
	return st.discount * st.types[g] / total, true
}

// writeARPA writes the model in the ARPA back-off format.
func (m *arpaModel) writeARPA(w io.Writer) error {
	bw := bufio.NewWriter(w)
	grams := make([][]string, m.order)
	grams[0] = append([]string{sentStart}, m.vocab...)
	slices.Sort(grams[0])
	for k := 2; k <= m.order; k++ {
		for g := range m.orders[k-1].count {
			grams[k-1] = append(grams[k-1], g)
		}
		slices.Sort(grams[k-1])
	}

	fmt.Fprintln(bw, `\data\`)
	for k, gs := range grams {
		fmt.Fprintf(bw, "ngram %d=%d\n", k+1, len(gs))
	}
	for k, gs := range grams {
		fmt.Fprintf(bw, "\n\\%d-grams:\n", k+1)
		for _, g := range gs {
			lp := -99.0
			if g != sentStart {
				lp = math.Log10(m.prob(strings.Fields(g)))
			}
			if b, ok := m.backoff(g, k+1); ok {
				fmt.Fprintf(bw, "%.6f\t%s\t%.6f\n", lp, g, math.Log10(b))
			} else {
				fmt.Fprintf(bw, "%.6f\t%s\n", lp, g)
			}
		}
	}
	fmt.Fprintln(bw, "\n\\end\\")
	return bw.Flush()
}
