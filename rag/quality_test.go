package rag

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// qualityQuestion is a user question and where its answer is.
type qualityQuestion struct {
	question, source, heading string
}

func loadQuestions(t *testing.T) []qualityQuestion {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "questions.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []qualityQuestion
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("questions.tsv: %q has %d fields, want 3", line, len(f))
		}
		out = append(out, qualityQuestion{f[0], f[1], f[2]})
	}
	return out
}

// TestDemoRetrievalQuality ingests the demo knowledge base and checks
// that lexical retrieval puts the answer of at least 90% of differently
// phrased questions in the top 3.
func TestDemoRetrievalQuality(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	sum, err := Ingest(ctx, IngestConfig{Store: st}, "acme", []string{"../configs/demo"})
	if err != nil || len(sum.Failed) > 0 {
		t.Fatalf("ingest demo: %v, failed %v", err, sum.Failed)
	}
	r, err := NewRetriever(RetrieverConfig{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(ctx, "acme"); err != nil {
		t.Fatal(err)
	}

	questions := loadQuestions(t)
	if len(questions) < 24 {
		t.Fatalf("got %d questions, want at least 24", len(questions))
	}
	hits := 0
	for _, q := range questions {
		got, err := r.Search(ctx, "acme", q.question, 3)
		if err != nil {
			t.Fatal(err)
		}
		if found(got, q) {
			hits++
			continue
		}
		t.Logf("miss: %q (want %s / %s), got %s", q.question, q.source, q.heading, describe(got))
	}
	rate := float64(hits) / float64(len(questions))
	t.Logf("demo hit rate at 3: %d/%d = %.0f%%", hits, len(questions), 100*rate)
	if rate < 0.9 {
		t.Errorf("hit rate at 3 = %.2f, want >= 0.90", rate)
	}
}

func found(passages []Passage, q qualityQuestion) bool {
	for _, p := range passages {
		if filepath.Base(p.Source) == q.source &&
			(q.heading == "" || strings.HasSuffix(p.Heading, q.heading)) {
			return true
		}
	}
	return false
}

func describe(passages []Passage) string {
	var parts []string
	for _, p := range passages {
		parts = append(parts, filepath.Base(p.Source)+" / "+p.Heading)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}
