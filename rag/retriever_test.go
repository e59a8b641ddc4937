package rag

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/voiced/voiced/rag/ragtest"
	"github.com/voiced/voiced/store"
)

// loadedRetriever ingests files for "acme" and returns a loaded Retriever.
func loadedRetriever(t *testing.T, files map[string]string, cfg RetrieverConfig, ing IngestConfig) *Retriever {
	t.Helper()
	ctx := context.Background()
	st := newTestStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, files)
	ing.Store = st
	if sum, err := Ingest(ctx, ing, "acme", []string{dir}); err != nil || len(sum.Failed) > 0 {
		t.Fatalf("ingest: %v %+v", err, sum.Failed)
	}
	cfg.Store = st
	r, err := NewRetriever(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Load(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	return r
}

var kb = map[string]string{
	"hours.md":  "# Hours\n\n## Saturday\n\nOn Saturdays we open from 9 to 13.\n\n## Weekdays\n\nMonday to Friday 8 to 18.",
	"prices.md": "# Prices\n\n## Gas\n\nGas costs 0.11 EUR per kWh.\n\n## Power\n\nPower costs 0.32 EUR per kWh.",
}

func TestSearchLexical(t *testing.T) {
	r := loadedRetriever(t, kb, RetrieverConfig{}, IngestConfig{})
	got, err := r.Search(context.Background(), "acme", "what does gas cost", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0].Heading != "Prices > Gas" || filepath.Base(got[0].Source) != "prices.md" {
		t.Fatalf("got %+v, want Prices > Gas first", got)
	}
	if got[0].Coverage != 1 || got[0].Score <= 0 || got[0].ChunkID == 0 || got[0].Title != "Prices" {
		t.Errorf("best = %+v, want coverage 1, a positive score, an ID and a title", got[0])
	}
	if len(got) > 1 && got[1].Score > got[0].Score {
		t.Errorf("scores %v, %v not in descending order", got[0].Score, got[1].Score)
	}

	none, err := r.Search(context.Background(), "acme", "capital of france", 3)
	if err != nil || len(none) != 0 {
		t.Errorf("off-topic: got %+v, %v; want no passages", none, err)
	}
	unknown, err := r.Search(context.Background(), "nobody", "gas", 3)
	if err != nil || unknown != nil {
		t.Errorf("unknown tenant: got %+v, %v; want nothing and no error", unknown, err)
	}
}

// failingEmbedder embeds documents through next but fails every query
// once armed.
type failingEmbedder struct {
	next  Embedder
	armed bool
}

func (f *failingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if f.armed {
		return nil, errors.New("embeddings down")
	}
	return f.next.Embed(ctx, texts)
}

func TestSearchHybridAndDegraded(t *testing.T) {
	srv := ragtest.NewTEI(t, ragtest.Options{})
	emb, err := NewEmbeddingClient(EmbeddingConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	fe := &failingEmbedder{next: emb}
	r := loadedRetriever(t, kb, RetrieverConfig{Embedder: fe}, IngestConfig{Embedder: emb})
	ctx := context.Background()

	got, err := r.Search(ctx, "acme", "saturday opening", 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0].Heading != "Hours > Saturday" {
		t.Fatalf("hybrid: got %+v, want all 4 chunks with Hours > Saturday first", got)
	}
	if max := 2.0 / 61; got[0].Score > max {
		t.Errorf("hybrid score = %v, want an RRF score <= %v", got[0].Score, max)
	}

	fe.armed = true
	got, err = r.Search(ctx, "acme", "saturday opening", 4)
	if err != nil {
		t.Fatalf("embedder failure: got %v, want a lexical result", err)
	}
	if len(got) != 1 || got[0].Heading != "Hours > Saturday" || got[0].Score < 1 {
		t.Errorf("degraded: got %+v, want only the lexical hit with its BM25 score", got)
	}
}

// fixedReranker scores texts by a function, or fails.
type fixedReranker struct {
	score func(text string) float64
	err   error
}

func (f fixedReranker) Rerank(ctx context.Context, query string, texts []string) ([]float64, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := make([]float64, len(texts))
	for i, t := range texts {
		out[i] = f.score(t)
	}
	return out, nil
}

func TestSearchReranks(t *testing.T) {
	powerFirst := fixedReranker{score: func(text string) float64 {
		if strings.HasPrefix(text, "Prices > Power\n") {
			return 0.9
		}
		return 0.1
	}}
	r := loadedRetriever(t, kb, RetrieverConfig{Reranker: powerFirst}, IngestConfig{})
	got, err := r.Search(context.Background(), "acme", "gas or power cost per kWh", 2)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Heading != "Prices > Power" || got[0].Score != 0.9 {
		t.Errorf("got %+v, want the reranker's choice first with its score", got[0])
	}

	broken := loadedRetriever(t, kb, RetrieverConfig{Reranker: fixedReranker{err: errors.New("down")}},
		IngestConfig{})
	got, err = broken.Search(context.Background(), "acme", "gas cost", 2)
	if err != nil || got[0].Heading != "Prices > Gas" {
		t.Errorf("failing reranker: got %+v, %v; want the fused order", got, err)
	}
}

func TestLoadWhileSearching(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	r, err := NewRetriever(RetrieverConfig{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				if _, err := r.Search(ctx, "acme", fmt.Sprintf("gas %d", j), 3); err != nil {
					t.Errorf("searcher %d: %v", i, err)
					return
				}
			}
		})
	}
	for range 10 {
		_, err := st.PutDocument(ctx, store.Document{TenantID: "acme", Source: "/g.md"},
			[]store.Chunk{{Text: "gas prices"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Load(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	got, _ := r.Search(ctx, "acme", "gas", 3)
	if len(got) != 1 {
		t.Errorf("got %d passages after loading, want 1", len(got))
	}
}

func TestNewRetrieverNeedsStore(t *testing.T) {
	if _, err := NewRetriever(RetrieverConfig{}); !errors.Is(err, ErrNoStore) {
		t.Errorf("got %v, want ErrNoStore", err)
	}
}
