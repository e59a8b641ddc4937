package rag

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/voiced/voiced/store"
)

// IngestConfig configures Ingest.
type IngestConfig struct {
	// Store receives the documents. Required.
	Store store.Store
	// Embedder, when set, gives every chunk a dense vector.
	Embedder Embedder
	// Contextualizer, when set, writes each chunk's situating sentence.
	Contextualizer Contextualizer
	// ContextConcurrency bounds concurrent Situate calls (default 4).
	ContextConcurrency int
	// Chunking sizes the chunks.
	Chunking ChunkConfig
	// Progress, when set, is called as each file starts and ends, from
	// the calling goroutine.
	Progress func(ProgressEvent)
	// Logger receives a debug line per changed, deleted or failed file (the
	// summary reports them too); nil discards.
	Logger *slog.Logger
}

// ProgressKind says what happened to a file.
type ProgressKind int

// The progress events of one file: FileStarted, then one of the others.
const (
	FileStarted ProgressKind = iota + 1
	FileDone                 // added or updated
	FileSkipped              // unchanged since the last ingestion
	FileFailed
)

// String names the kind in lower case ("done").
func (k ProgressKind) String() string {
	switch k {
	case FileStarted:
		return "started"
	case FileDone:
		return "done"
	case FileSkipped:
		return "skipped"
	case FileFailed:
		return "failed"
	}
	return fmt.Sprintf("ProgressKind(%d)", int(k))
}

// ProgressEvent reports one step of an ingestion, enough to draw a
// progress line ("[3/12] prices.md").
type ProgressEvent struct {
	Kind ProgressKind
	// Path is the file's absolute path (its document Source).
	Path string
	// Index is the file's position in this run, from 1; Total is the
	// number of files the run found.
	Index, Total int
	// Chunks is the number of chunks stored, for FileDone.
	Chunks int
	// Err is why the file failed, for FileFailed.
	Err error
}

// IngestSummary counts what an ingestion did.
type IngestSummary struct {
	Added, Updated, Unchanged, Deleted int
	// Failed lists the files that could not be ingested; their previous
	// version, if any, is still in the store.
	Failed []FileError
	// Chunks is the number of chunks written for added and updated files.
	Chunks int
}

// FileError is a file that failed to ingest, and why.
type FileError struct {
	Path string
	Err  error
}

// Ingest brings a tenant's documents in the store up to date with paths,
// which are files or folders (searched recursively for supported files,
// skipping hidden ones). A file whose SHA-256 matches its stored document
// is skipped; a new or changed file is parsed, chunked, optionally given
// context sentences and vectors, and stored with its chunks atomically.
// Stored documents whose source lies under one of paths but no longer
// exists are deleted. A file that fails is listed in the summary and
// leaves its previous version untouched; it does not stop the others.
// Ingest returns an error only when it cannot proceed at all (no store,
// unknown tenant, store failure listing documents, cancelled context), and
// then still returns what it did so far.
func Ingest(ctx context.Context, cfg IngestConfig, tenantID string, paths []string) (IngestSummary, error) {
	var sum IngestSummary
	if cfg.Store == nil {
		return sum, fmt.Errorf("ingest: %w", ErrNoStore)
	}
	if _, err := cfg.Store.Tenant(ctx, tenantID); err != nil {
		return sum, fmt.Errorf("ingest: %w", err)
	}
	in := newIngester(cfg, tenantID)

	found, err := findFiles(paths)
	if err != nil {
		return sum, fmt.Errorf("ingest: %w", err)
	}
	for _, fe := range found.unreadable {
		sum.Failed = append(sum.Failed, fe)
		in.log.Warn("cannot read folder", "path", fe.Path, "err", fe.Err)
	}
	docs, err := cfg.Store.Documents(ctx, tenantID)
	if err != nil {
		return sum, fmt.Errorf("ingest: %w", err)
	}
	stored := make(map[string]store.Document, len(docs))
	for _, d := range docs {
		stored[d.Source] = d
	}

	for i, path := range found.files {
		if err := ctx.Err(); err != nil {
			return sum, fmt.Errorf("ingest: %w", err)
		}
		in.file(ctx, &sum, path, stored, i+1, len(found.files))
	}
	if err := in.deleteMissing(ctx, &sum, docs, found); err != nil {
		return sum, fmt.Errorf("ingest: %w", err)
	}
	return sum, nil
}

// ingester holds the configuration of one Ingest call.
type ingester struct {
	cfg    IngestConfig
	tenant string
	log    *slog.Logger
}

func newIngester(cfg IngestConfig, tenantID string) *ingester {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.ContextConcurrency <= 0 {
		cfg.ContextConcurrency = 4
	}
	return &ingester{cfg: cfg, tenant: tenantID, log: log.With("tenant", tenantID)}
}

func (in *ingester) progress(ev ProgressEvent) {
	if in.cfg.Progress != nil {
		in.cfg.Progress(ev)
	}
}

// file ingests one file and records the outcome in sum.
func (in *ingester) file(ctx context.Context, sum *IngestSummary, path string,
	stored map[string]store.Document, index, total int) {
	ev := ProgressEvent{Kind: FileStarted, Path: path, Index: index, Total: total}
	in.progress(ev)

	prev, existed := stored[path]
	chunks, unchanged, err := in.store(ctx, path, prev, existed)
	switch {
	case err != nil:
		sum.Failed = append(sum.Failed, FileError{Path: path, Err: err})
		in.log.Debug("file not ingested", "path", path, "err", err)
		ev.Kind, ev.Err = FileFailed, err
	case unchanged:
		sum.Unchanged++
		ev.Kind = FileSkipped
	default:
		if existed {
			sum.Updated++
		} else {
			sum.Added++
		}
		sum.Chunks += chunks
		in.log.Debug("file ingested", "path", path, "chunks", chunks, "updated", existed)
		ev.Kind, ev.Chunks = FileDone, chunks
	}
	in.progress(ev)
}

// store reads, parses and stores one file unless its hash matches prev.
// It returns the number of chunks stored.
func (in *ingester) store(ctx context.Context, path string, prev store.Document, existed bool) (int, bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false, err
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if existed && prev.Hash == hash {
		return 0, true, nil
	}

	parsed, err := Parse(path, data)
	if err != nil {
		return 0, false, err
	}
	chunks, err := in.prepare(ctx, parsed)
	if err != nil {
		return 0, false, err
	}
	doc := store.Document{TenantID: in.tenant, Source: path, Title: parsed.Title,
		Hash: hash, Size: int64(len(data))}
	if _, err := in.cfg.Store.PutDocument(ctx, doc, chunks); err != nil {
		return 0, false, err
	}
	return len(chunks), false, nil
}

// prepare chunks a parsed document and adds context sentences and vectors
// when configured.
func (in *ingester) prepare(ctx context.Context, parsed Parsed) ([]store.Chunk, error) {
	pieces := ChunkDocument(parsed, in.cfg.Chunking)
	if len(pieces) == 0 {
		return nil, ErrNoText
	}
	chunks := make([]store.Chunk, len(pieces))
	for i, p := range pieces {
		chunks[i] = store.Chunk{TenantID: in.tenant, Title: parsed.Title, Ord: i,
			Heading: p.Heading, Text: p.Text}
	}
	if err := in.situate(ctx, parsed, chunks); err != nil {
		return nil, fmt.Errorf("situate chunks: %w", err)
	}
	if err := in.embed(ctx, chunks); err != nil {
		return nil, fmt.Errorf("embed chunks: %w", err)
	}
	return chunks, nil
}

// deleteMissing deletes the stored documents under the given roots whose
// files were not found.
func (in *ingester) deleteMissing(ctx context.Context, sum *IngestSummary, docs []store.Document,
	found foundFiles) error {
	for _, d := range docs {
		if found.seen[d.Source] || !found.covers(d.Source) {
			continue
		}
		err := in.cfg.Store.DeleteDocument(ctx, in.tenant, d.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("delete %s: %w", d.Source, err)
		}
		sum.Deleted++
		in.log.Debug("document deleted", "path", d.Source)
	}
	return nil
}
