package rag

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/voiced/voiced/store"
)

// minCandidates is the least number of candidates each retriever feeds to
// fusion and reranking.
const minCandidates = 20

// RetrieverConfig configures a Retriever.
type RetrieverConfig struct {
	// Store holds the tenants' chunks. Required.
	Store store.Store
	// Embedder enables dense retrieval for tenants whose chunks carry
	// vectors. Nil means lexical retrieval only.
	Embedder Embedder
	// Reranker reorders the fused candidates. Nil keeps the fused order.
	Reranker Reranker
	// Logger receives warnings about degraded searches; nil discards.
	Logger *slog.Logger
}

// Retriever finds the passages of a tenant's knowledge base that answer a
// question. It keeps one immutable index per tenant, built by Load, and is
// safe for concurrent use.
type Retriever struct {
	cfg RetrieverConfig
	log *slog.Logger

	mu      sync.RWMutex // guards indexes; the indexes themselves are immutable
	indexes map[string]*tenantIndex
}

// tenantIndex is everything a search of one tenant reads.
type tenantIndex struct {
	passages []Passage // by index document number
	lex      *lexIndex
	dense    *denseIndex // nil when no chunk has a vector
}

// NewRetriever returns a Retriever with no tenant loaded.
func NewRetriever(cfg RetrieverConfig) (*Retriever, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("new retriever: %w", ErrNoStore)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Retriever{cfg: cfg, log: log, indexes: make(map[string]*tenantIndex)}, nil
}

// Load builds or rebuilds the index of a tenant from its stored chunks.
// Searches running meanwhile keep using the previous index; the new one
// replaces it atomically.
func (r *Retriever) Load(ctx context.Context, tenantID string) error {
	chunks, err := r.cfg.Store.Chunks(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("load tenant %s: %w", tenantID, err)
	}
	ix := buildTenantIndex(chunks, r.log.With("tenant", tenantID))

	r.mu.Lock()
	r.indexes[tenantID] = ix
	r.mu.Unlock()
	return nil
}

func (r *Retriever) index(tenantID string) *tenantIndex {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.indexes[tenantID]
}

// buildTenantIndex indexes chunks. Dense retrieval uses the vectors of the
// most common dimension; chunks embedded with another model (a different
// dimension) are searched lexically only until re-ingested.
func buildTenantIndex(chunks []store.Chunk, log *slog.Logger) *tenantIndex {
	ix := &tenantIndex{passages: make([]Passage, len(chunks))}
	docs := make([]lexDoc, len(chunks))
	vectors := make([][]float32, len(chunks))
	dims := make(map[int]int)
	for i, c := range chunks {
		ix.passages[i] = Passage{ChunkID: c.ID, Source: c.Source, Title: c.Title,
			Heading: c.Heading, Text: c.Text}
		heading := c.Heading
		if heading == "" {
			heading = c.Title
		}
		docs[i] = lexDoc{heading: heading, body: c.Context + "\n" + c.Text}
		if len(c.Embedding) > 0 {
			vectors[i] = c.Embedding
			dims[len(c.Embedding)]++
		}
	}

	ix.lex = buildLexIndex(docs)
	dim, count := 0, 0
	for d, n := range dims {
		if n > count || (n == count && d > dim) {
			dim, count = d, n
		}
	}
	if len(dims) > 1 {
		log.Warn("chunks have vectors of several dimensions; using the most common",
			"dim", dim, "chunks", count)
	}
	ix.dense = buildDenseIndex(vectors, dim)
	return ix
}

// Search returns up to k passages of the tenant answering query, best
// first. It takes the max(3k, 20) best BM25 candidates and, when an
// Embedder is configured and the tenant's chunks have vectors, as many
// nearest neighbours of the embedded query; the two lists are fused by
// reciprocal rank and, with a Reranker, reordered by it. A failing
// embedder or reranker degrades the search (logged at Warn) instead of
// failing it. An unknown or not yet loaded tenant has no passages.
func (r *Retriever) Search(ctx context.Context, tenantID, query string, k int) ([]Passage, error) {
	ix := r.index(tenantID)
	if ix == nil || k <= 0 {
		return nil, nil
	}
	n := max(3*k, minCandidates)
	terms := queryTerms(query)
	hits := ix.lex.search(ix.lex.lookup(terms), n)

	dense, err := r.denseHits(ctx, ix, query, n)
	if err != nil {
		return nil, err
	}
	if dense != nil {
		hits = fuseRRF(hits, dense)
	}

	passages := make([]Passage, len(hits))
	for i, h := range hits {
		passages[i] = ix.passages[h.doc]
		passages[i].Score = float64(h.score)
		passages[i].Coverage = ix.lex.coverage(terms, h.doc)
	}
	if err := r.rerank(ctx, tenantID, query, passages); err != nil {
		return nil, err
	}
	if len(passages) > k {
		passages = passages[:k]
	}
	return passages, nil
}

// denseHits embeds the query and returns its nearest chunks, or nil when
// dense retrieval is off or the embedder failed. Only the caller's
// cancellation is an error.
func (r *Retriever) denseHits(ctx context.Context, ix *tenantIndex, query string, n int) ([]hit, error) {
	if r.cfg.Embedder == nil || ix.dense == nil || strings.TrimSpace(query) == "" {
		return nil, nil
	}
	vecs, err := r.cfg.Embedder.Embed(ctx, []string{query})
	if ctx.Err() != nil {
		return nil, fmt.Errorf("search: %w", ctx.Err())
	}
	if err == nil && len(vecs) != 1 {
		err = fmt.Errorf("%w: %d vectors for 1 query", ErrBadResponse, len(vecs))
	}
	if err != nil {
		r.log.Warn("query embedding failed; searching lexically only", "err", err)
		return nil, nil
	}
	return ix.dense.search(vecs[0], n), nil
}

// rerank reorders passages in place by the reranker's scores, keeping the
// fused order when the reranker fails.
func (r *Retriever) rerank(ctx context.Context, tenantID, query string, passages []Passage) error {
	if r.cfg.Reranker == nil || len(passages) < 2 {
		return nil
	}
	texts := make([]string, len(passages))
	for i, p := range passages {
		texts[i] = passageText(p)
	}
	scores, err := r.cfg.Reranker.Rerank(ctx, query, texts)
	if ctx.Err() != nil {
		return fmt.Errorf("search: %w", ctx.Err())
	}
	if err == nil && len(scores) != len(passages) {
		err = fmt.Errorf("%w: %d scores for %d passages", ErrBadResponse, len(scores), len(passages))
	}
	if err != nil {
		r.log.Warn("reranking failed; keeping fused order", "tenant", tenantID, "err", err)
		return nil
	}
	for i := range passages {
		passages[i].Score = scores[i]
	}
	slices.SortStableFunc(passages, func(a, b Passage) int { return cmp.Compare(b.Score, a.Score) })
	return nil
}

// passageText is what rerankers and embedders see of a passage: its
// heading path, then its text.
func passageText(p Passage) string {
	if p.Heading == "" {
		return p.Text
	}
	return p.Heading + "\n" + p.Text
}
