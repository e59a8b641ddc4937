package rag

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voiced/voiced/store"
)

const (
	benchChunks = 100_000
	benchVocab  = 5_000
)

var (
	benchOnce    sync.Once
	benchIndex   *tenantIndex
	benchQueries []string
)

// benchCorpus generates a synthetic knowledge base: pseudo-words drawn
// from a Zipf distribution over benchVocab words, 60-120 words a chunk,
// with short headings; and queries of 2-6 words from the same
// distribution, so that frequent words with long posting lists occur in
// queries as they do in real ones.
func benchCorpus() {
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := pseudoWords(rng, benchVocab)
	zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.07, 2, benchVocab-1)
	phrase := func(n int) string {
		words := make([]string, n)
		for i := range words {
			words[i] = vocab[zipf.Uint64()]
		}
		return strings.Join(words, " ")
	}

	chunks := make([]store.Chunk, benchChunks)
	for i := range chunks {
		chunks[i] = store.Chunk{ID: int64(i + 1), Source: "/kb/doc.md", Title: "Doc",
			Heading: phrase(2), Text: phrase(60 + rng.IntN(61))}
	}
	benchIndex = buildTenantIndex(chunks, slog.New(slog.DiscardHandler))
	benchQueries = make([]string, 1000)
	for i := range benchQueries {
		benchQueries[i] = "how do I " + phrase(2+rng.IntN(5)) + "?"
	}
}

// pseudoWords returns n distinct pronounceable non-stop words.
func pseudoWords(rng *rand.Rand, n int) []string {
	onsets := []string{"b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "br", "st", "tr"}
	vowels := []string{"a", "e", "i", "o", "u", "ea", "ou"}
	seen := make(map[string]bool)
	var out []string
	for len(out) < n {
		var sb strings.Builder
		for range 2 + rng.IntN(2) {
			sb.WriteString(onsets[rng.IntN(len(onsets))])
			sb.WriteString(vowels[rng.IntN(len(vowels))])
		}
		sb.WriteString(onsets[rng.IntN(len(onsets))])
		w := sb.String()
		if !seen[w] && !stopWords[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// BenchmarkSearch100k measures lexical search over 100k chunks on the
// full Search path and reports per-query p50 and p99 latency.
func BenchmarkSearch100k(b *testing.B) {
	benchOnce.Do(benchCorpus)
	r := &Retriever{log: slog.New(slog.DiscardHandler),
		indexes: map[string]*tenantIndex{"bench": benchIndex}}
	ctx := context.Background()
	durations := make([]time.Duration, 0, b.N)

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		got, err := r.Search(ctx, "bench", benchQueries[i%len(benchQueries)], 5)
		durations = append(durations, time.Since(start))
		if err != nil || len(got) == 0 {
			b.Fatalf("search: %d passages, %v", len(got), err)
		}
	}
	b.StopTimer()

	slices.Sort(durations)
	pct := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
