package rag

import "context"

// Embedder turns texts into dense vectors, one per text, in order.
// EmbeddingClient implements it.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Reranker scores how well each text answers the query; the scores are
// aligned with texts, larger is better. RerankClient implements it.
type Reranker interface {
	Rerank(ctx context.Context, query string, texts []string) ([]float64, error)
}

// Contextualizer writes one sentence situating a chunk within its
// document ("This section of the price list covers gas tariffs for
// households."), which is stored with the chunk and indexed with its text.
// The dialog package implements it with the small LLM.
type Contextualizer interface {
	Situate(ctx context.Context, title, document, chunk string) (string, error)
}
