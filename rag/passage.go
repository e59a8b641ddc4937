package rag

// Passage is a retrieved piece of a tenant's knowledge base.
type Passage struct {
	ChunkID int64
	// Source is the document's source path within the tenant.
	Source  string
	Title   string
	Heading string
	Text    string
	// Score orders passages within one result, larger is better. Its scale
	// depends on the stage that produced it (BM25, fusion or reranker).
	Score float64
}
