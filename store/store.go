package store

import (
	"context"
	"time"
)

// Store is everything voiced persists. SQLite implements it for a single
// node; a PostgreSQL implementation fills the same interface for scale-out.
// Every method that writes several rows does so in one transaction: a
// failure leaves nothing half-written.
type Store interface {
	// EnsureTenant creates the tenant or updates its name.
	EnsureTenant(ctx context.Context, t Tenant) error
	// Tenant returns one tenant, or ErrNotFound.
	Tenant(ctx context.Context, id string) (Tenant, error)
	// SetAPIKeys replaces the tenant's API keys. Only SHA-256 hashes are
	// kept; the plain keys are never stored.
	SetAPIKeys(ctx context.Context, tenantID string, keys []string) error
	// TenantByAPIKey finds the tenant owning key, or ErrNotFound.
	TenantByAPIKey(ctx context.Context, key string) (Tenant, error)

	// Documents lists a tenant's documents without their chunks.
	Documents(ctx context.Context, tenantID string) ([]Document, error)
	// PutDocument inserts or replaces the document with the same tenant
	// and source, together with all of its chunks, atomically. It returns
	// the document with its ID set.
	PutDocument(ctx context.Context, doc Document, chunks []Chunk) (Document, error)
	// DeleteDocument removes a document and its chunks.
	DeleteDocument(ctx context.Context, tenantID string, docID int64) error
	// Chunks returns every chunk of a tenant, ordered by document and
	// position, for building retrieval indexes.
	Chunks(ctx context.Context, tenantID string) ([]Chunk, error)
	// SearchChunks runs a full-text query over a tenant's chunks and
	// returns at most limit hits, best first.
	SearchChunks(ctx context.Context, tenantID, query string, limit int) ([]ChunkHit, error)

	// CreateConversation starts a conversation; an existing ID is an error.
	CreateConversation(ctx context.Context, c Conversation) error
	// EndConversation records when a conversation ended.
	EndConversation(ctx context.Context, id string, at time.Time) error
	// AppendTurns adds turns to a conversation in one transaction and sets
	// their sequence numbers.
	AppendTurns(ctx context.Context, conversationID string, turns []Turn) error
	// Conversation returns one conversation with its turns in order.
	Conversation(ctx context.Context, tenantID, id string) (Conversation, []Turn, error)
	// SetFingerprint records the fingerprint of a conversation's history
	// so that a stateless client sending that history again continues it.
	SetFingerprint(ctx context.Context, id, fingerprint string) error
	// ConversationByFingerprint finds the tenant's conversation whose
	// history has the given fingerprint, or ErrNotFound.
	ConversationByFingerprint(ctx context.Context, tenantID, fingerprint string) (Conversation, error)
	// Conversations lists a tenant's conversations, newest first.
	Conversations(ctx context.Context, tenantID string, limit int) ([]Conversation, error)

	// Close releases the database.
	Close() error
}

// Tenant is one customer of a voiced installation.
type Tenant struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Document is one ingested source file of a tenant's knowledge base.
type Document struct {
	ID       int64
	TenantID string
	// Source identifies the document within the tenant, usually its path.
	Source string
	Title  string
	// Hash is the SHA-256 of the source bytes; ingestion skips documents
	// whose hash did not change.
	Hash      string
	Size      int64
	Chunks    int
	UpdatedAt time.Time
}

// Chunk is a retrievable passage of a document.
type Chunk struct {
	ID         int64
	DocumentID int64
	TenantID   string
	// Source and Title are copied from the document when reading.
	Source string
	Title  string
	Ord    int
	// Heading is the path of headings above the passage ("Prices > Gas").
	Heading string
	Text    string
	// Context is a sentence situating the chunk in its document, written at
	// ingestion by the small LLM when one is configured. It is indexed with
	// the text but not shown as the passage.
	Context string
	// Embedding is the dense vector of Context+Text, nil without an
	// embeddings endpoint.
	Embedding []float32
}

// ChunkHit is a full-text search result.
type ChunkHit struct {
	Chunk Chunk
	// Score is larger for better matches.
	Score float64
}

// Conversation is one chat or call.
type Conversation struct {
	ID       string
	TenantID string
	// Channel is "chat", "sip" or "web".
	Channel   string
	Agent     string
	StartedAt time.Time
	EndedAt   time.Time // zero while running
	// Recording is the path of the call recording, relative to the data
	// directory; empty for chats.
	Recording string
	Turns     int
}

// Turn is one utterance or message in a conversation.
type Turn struct {
	ConversationID string
	Seq            int
	// Role is "user", "assistant" or "system".
	Role string
	Text string
	At   time.Time
	// Mode says how an assistant turn was produced: "llm", "small_llm",
	// "extractive" or "fallback".
	Mode string
	// Sources lists the documents of the passages an answer used.
	Sources []string
	// Latency holds named durations in milliseconds (for example
	// "llm_first_token").
	Latency map[string]float64
}
