package rag

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/voiced/voiced/rag/ragtest"
)

func TestRerankClientAPIs(t *testing.T) {
	docs := []string{"opening hours on saturday", "gas prices", "saturday hours and sunday hours"}
	for _, api := range []string{"tei", "vllm"} {
		t.Run(api, func(t *testing.T) {
			srv := ragtest.NewTEI(t, ragtest.Options{Flavor: api})
			c, err := NewRerankClient(RerankConfig{URL: srv.URL, API: api, Model: "qwen3-reranker"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Rerank(context.Background(), "saturday opening hours", docs)
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range docs {
				if want := ragtest.Relevance("saturday opening hours", d); got[i] != want {
					t.Errorf("score %d = %v, want %v (aligned with input order)", i, got[i], want)
				}
			}
		})
	}
}

func TestRerankClientSplitsAtMaxBatch(t *testing.T) {
	srv := ragtest.NewTEI(t, ragtest.Options{MaxBatch: 32})
	c, err := NewRerankClient(RerankConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	docs := make([]string, 40)
	for i := range docs {
		docs[i] = fmt.Sprintf("doc %d", i)
	}
	docs[37] = "the gas leak number"
	got, err := c.Rerank(context.Background(), "gas leak", docs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 40 || got[37] != 1 || got[0] != 0 {
		t.Errorf("got %d scores, [37]=%v [0]=%v; want 40, 1, 0", len(got), got[37], got[0])
	}
	if n := srv.Requests("/rerank"); n != 2 {
		t.Errorf("got %d requests, want 2", n)
	}
}

func TestRerankClientFaults(t *testing.T) {
	tests := []struct {
		flavor   string
		fault    ragtest.Fault
		wantReqs int
		wantType string
	}{
		{"tei", ragtest.Fault401, 1, "unauthorized"},
		{"vllm", ragtest.Fault401, 1, "Unauthorized"},
		{"tei", ragtest.Fault413, 1, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d", tt.flavor, tt.fault), func(t *testing.T) {
			srv := ragtest.NewTEI(t, ragtest.Options{Flavor: tt.flavor})
			c, _ := NewRerankClient(RerankConfig{URL: srv.URL, API: tt.flavor})
			srv.Fail(tt.fault)
			_, err := c.Rerank(context.Background(), "q", []string{"a", "b"})
			var ue *UpstreamError
			if !errors.As(err, &ue) || !ue.IsType(tt.wantType) {
				t.Fatalf("got %v, want an UpstreamError of type %q", err, tt.wantType)
			}
			if n := srv.Requests("/rerank"); n != tt.wantReqs {
				t.Errorf("got %d requests, want %d", n, tt.wantReqs)
			}
		})
	}

	srv := ragtest.NewTEI(t, ragtest.Options{})
	c, _ := NewRerankClient(RerankConfig{URL: srv.URL})
	c.up.backoff = time.Millisecond
	srv.Fail(ragtest.Fault503)
	if _, err := c.Rerank(context.Background(), "q", []string{"a"}); err != nil {
		t.Errorf("503 then success: got %v, want nil", err)
	}
	if n := srv.Requests("/rerank"); n != 2 {
		t.Errorf("got %d requests, want 2 (503 is retried)", n)
	}
}

func TestAlignScoresRejectsBadIndexes(t *testing.T) {
	one := 1.0
	tests := [][]rankedIndex{
		{{Index: 0, Score: &one}},                          // missing index 1
		{{Index: 0, Score: &one}, {Index: 0, Score: &one}}, // repeated
		{{Index: 0, Score: &one}, {Index: 5, Score: &one}}, // out of range
		{{Index: 0, Score: &one}, {Index: 1}},              // no score
	}
	for i, ranked := range tests {
		if err := alignScores(ranked, make([]float64, 2)); !errors.Is(err, ErrBadResponse) {
			t.Errorf("case %d: got %v, want ErrBadResponse", i, err)
		}
	}
}
