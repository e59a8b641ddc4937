package rag

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// RerankConfig configures a RerankClient.
type RerankConfig struct {
	// URL is the server's base URL, such as http://127.0.0.1:8082.
	URL string
	// API is APITEI (the default: texts in, [{index,score}] out) or
	// APIVLLM (documents in, {results:[{index,relevance_score}]} out).
	// Both post to /rerank.
	API string
	// Model names the model for APIVLLM.
	Model string
	// APIKey is sent as a bearer token when set.
	APIKey string
	// MaxBatch is the most texts the server accepts in one request
	// (default 32); longer lists are scored in several requests.
	MaxBatch int
	// Timeout bounds one HTTP attempt (default 30s).
	Timeout    time.Duration
	HTTPClient *http.Client
}

// RerankClient scores passages against a query through a TEI or vLLM
// rerank server (protocols.md 3a, 3b). It is safe for concurrent use and
// holds no goroutines.
type RerankClient struct {
	up       *upstream
	api      string
	model    string
	maxBatch int
}

// rankedIndex is one entry of a rerank answer in either shape.
type rankedIndex struct {
	Index          int      `json:"index"`
	Score          *float64 `json:"score"`
	RelevanceScore *float64 `json:"relevance_score"`
}

// NewRerankClient validates cfg.
func NewRerankClient(cfg RerankConfig) (*RerankClient, error) {
	api := cmp.Or(strings.ToLower(cfg.API), APITEI)
	if api != APITEI && api != APIVLLM {
		return nil, fmt.Errorf("new rerank client: %w: api %q (want tei or vllm)", ErrBadConfig, cfg.API)
	}
	up, err := newUpstream(cfg.URL, cfg.APIKey, cfg.Timeout, cfg.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("new rerank client: %w", err)
	}
	return &RerankClient{up: up, api: api, model: cfg.Model,
		maxBatch: cmp.Or(max(cfg.MaxBatch, 0), DefaultMaxBatch)}, nil
}

// Rerank returns a relevance score for each text, aligned with texts
// (larger is better; normalized scores, 0..1). Lists longer than MaxBatch
// are scored in concurrent requests.
func (c *RerankClient) Rerank(ctx context.Context, query string, texts []string) ([]float64, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	scores := make([]float64, len(texts))
	errs := make([]error, (len(texts)+c.maxBatch-1)/c.maxBatch)
	var wg sync.WaitGroup
	for i := range errs {
		start := i * c.maxBatch
		end := min(start+c.maxBatch, len(texts))
		wg.Go(func() {
			errs[i] = c.rerankBatch(ctx, query, texts[start:end], scores[start:end])
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("rerank: %w", err)
		}
	}
	return scores, nil
}

// rerankBatch scores one request's texts into scores.
func (c *RerankClient) rerankBatch(ctx context.Context, query string, texts []string, scores []float64) error {
	var ranked []rankedIndex
	if c.api == APITEI {
		body := map[string]any{"query": query, "texts": texts, "raw_scores": false,
			"return_text": false, "truncate": true}
		if err := c.up.post(ctx, "/rerank", body, &ranked); err != nil {
			return err
		}
	} else {
		body := map[string]any{"query": query, "documents": texts, "top_n": 0}
		if c.model != "" {
			body["model"] = c.model
		}
		var reply struct {
			Results []rankedIndex `json:"results"`
		}
		if err := c.up.post(ctx, "/rerank", body, &reply); err != nil {
			return err
		}
		ranked = reply.Results
	}
	return alignScores(ranked, scores)
}

// alignScores writes each ranked entry's score at its index and checks
// that every text got exactly one.
func alignScores(ranked []rankedIndex, scores []float64) error {
	seen := make([]bool, len(scores))
	for _, r := range ranked {
		if r.Index < 0 || r.Index >= len(scores) || seen[r.Index] {
			return fmt.Errorf("%w: bad or repeated index %d", ErrBadResponse, r.Index)
		}
		score := r.Score
		if score == nil {
			score = r.RelevanceScore
		}
		if score == nil {
			return fmt.Errorf("%w: no score for index %d", ErrBadResponse, r.Index)
		}
		seen[r.Index] = true
		scores[r.Index] = *score
	}
	if i := slices.Index(seen, false); i >= 0 {
		return fmt.Errorf("%w: no score for text %d of %d", ErrBadResponse, i, len(scores))
	}
	return nil
}
