package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/voiced/voiced/config"
	"github.com/voiced/voiced/dialog"
	"github.com/voiced/voiced/rag"
	"github.com/voiced/voiced/store"
)

// node is one voiced process's wired components. cmd/voiced is the only
// place that picks concrete backends.
type node struct {
	cfg       *config.Config
	log       *slog.Logger
	store     store.Store
	embedder  *rag.EmbeddingClient
	reranker  *rag.RerankClient
	retriever *rag.Retriever
	engine    *dialog.Engine
	// tracer receives the spans of calls and replies (nil: none).
	tracer trace.TracerProvider
}

// openNode opens the store and builds every configured client. reg may be
// nil when metrics are not served, tp when nothing is traced.
func openNode(ctx context.Context, cfg *config.Config, log *slog.Logger,
	reg prometheus.Registerer, tp trace.TracerProvider) (*node, error) {
	st, err := store.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "voiced.db"))
	if err != nil {
		return nil, err
	}
	n := &node{cfg: cfg, log: log, store: st, tracer: tp}

	m := cfg.Models
	if m.Embeddings.Enabled() {
		n.embedder, err = rag.NewEmbeddingClient(rag.EmbeddingConfig{
			URL: m.Embeddings.URL, API: m.Embeddings.Backend, Model: m.Embeddings.Model,
			APIKey: m.Embeddings.APIKey, MaxBatch: m.Embeddings.MaxBatch,
			Timeout: time.Duration(m.Embeddings.Timeout),
		})
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("embeddings client: %w", err)
		}
	}
	if m.Reranker.Enabled() {
		n.reranker, err = rag.NewRerankClient(rag.RerankConfig{
			URL: m.Reranker.URL, API: m.Reranker.Backend, Model: m.Reranker.Model,
			APIKey: m.Reranker.APIKey, Timeout: time.Duration(m.Reranker.Timeout),
		})
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("reranker client: %w", err)
		}
	}

	rcfg := rag.RetrieverConfig{Store: st, Logger: log}
	if n.embedder != nil {
		rcfg.Embedder = n.embedder
	}
	if n.reranker != nil {
		rcfg.Reranker = n.reranker
	}
	if n.retriever, err = rag.NewRetriever(rcfg); err != nil {
		n.Close()
		return nil, fmt.Errorf("retriever: %w", err)
	}

	n.engine, err = dialog.New(dialog.Config{
		Store: st, Searcher: n.retriever, TopK: cfg.Retrieval.TopK,
		LLM: llmConfig("llm", m.LLM), SmallLLM: llmConfig("small_llm", m.SmallLLM),
		Logger: log, Registerer: reg, TracerProvider: tp,
	})
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("dialog engine: %w", err)
	}
	return n, nil
}

func llmConfig(name string, e config.Endpoint) *dialog.LLMConfig {
	if !e.Enabled() {
		return nil
	}
	return &dialog.LLMConfig{
		Name: name, BaseURL: e.URL, Model: e.Model, APIKey: e.APIKey,
		Azure: e.Backend == "azure", AzureAPIVersion: e.APIVersion,
		Timeout: time.Duration(e.Timeout), FirstTokenTimeout: time.Duration(e.FirstTokenTimeout),
		Locality: e.Locality, Region: e.Region,
	}
}

// setUpTenants writes the configured tenants and their key hashes.
func (n *node) setUpTenants(ctx context.Context) error {
	for _, t := range n.cfg.Tenants {
		if err := n.store.EnsureTenant(ctx, store.Tenant{ID: t.ID, Name: t.Name}); err != nil {
			return err
		}
		if err := n.store.SetAPIKeys(ctx, t.ID, t.APIKeys); err != nil {
			return fmt.Errorf("tenant %s: %w", t.ID, err)
		}
	}
	return nil
}

// ingest adds paths to a tenant's knowledge base and reloads its index.
func (n *node) ingest(ctx context.Context, tenantID string, paths []string,
	progress func(rag.ProgressEvent)) (rag.IngestSummary, error) {
	icfg := rag.IngestConfig{Store: n.store, Progress: progress, Logger: n.log}
	if n.embedder != nil {
		icfg.Embedder = n.embedder
	}
	if n.cfg.Retrieval.ContextPrefixes {
		icfg.Contextualizer = n.engine
	}
	sum, err := rag.Ingest(ctx, icfg, tenantID, paths)
	if err != nil {
		return sum, err
	}
	return sum, n.retriever.Load(ctx, tenantID)
}

// agents converts the configuration's agents for the dialog engine.
func (n *node) agents(tenantID string) []dialog.Agent {
	for _, t := range n.cfg.Tenants {
		if t.ID != tenantID {
			continue
		}
		out := make([]dialog.Agent, len(t.Agents))
		for i, a := range t.Agents {
			out[i] = dialog.Agent{Name: a.Name, SystemPrompt: a.SystemPrompt,
				Greeting: a.Greeting, Language: a.Language, Style: a.Style,
				TransferTarget: a.TransferTarget}
		}
		return out
	}
	return nil
}

// Close releases everything the node opened.
func (n *node) Close() error {
	var errs []error
	if n.embedder != nil {
		errs = append(errs, n.embedder.Close())
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	return errors.Join(errs...)
}
