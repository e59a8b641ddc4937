package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
)

// Documents lists a tenant's documents without their chunks.
func (s *SQLite) Documents(ctx context.Context, tenantID string) ([]Document, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, tenant_id, source, title, hash, size, chunks,
		updated_at FROM documents WHERE tenant_id = ? ORDER BY source`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()

	var docs []Document
	for rows.Next() {
		var d Document
		var updated int64
		err := rows.Scan(&d.ID, &d.TenantID, &d.Source, &d.Title, &d.Hash, &d.Size, &d.Chunks, &updated)
		if err != nil {
			return nil, fmt.Errorf("list documents: %w", err)
		}
		d.UpdatedAt = fromMilli(updated)
		docs = append(docs, d)
	}
	return docs, rows.Err()
}

// PutDocument inserts or replaces a document and all its chunks atomically.
func (s *SQLite) PutDocument(ctx context.Context, doc Document, chunks []Chunk) (Document, error) {
	if doc.TenantID == "" || doc.Source == "" {
		return Document{}, errors.New("put document: tenant and source are required")
	}
	doc.Chunks = len(chunks)
	if doc.UpdatedAt.IsZero() {
		doc.UpdatedAt = time.Now().UTC()
	}
	err := s.tx(ctx, "put document "+doc.Source, func(tx *sql.Tx) error {
		// Deleting first lets the cascade and the FTS trigger drop the old
		// chunks; the transaction makes the swap invisible to readers.
		_, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE tenant_id = ? AND source = ?`,
			doc.TenantID, doc.Source)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO documents(tenant_id, source, title, hash, size,
			chunks, updated_at) VALUES(?, ?, ?, ?, ?, ?, ?)`, doc.TenantID, doc.Source, doc.Title,
			doc.Hash, doc.Size, doc.Chunks, unixMilli(doc.UpdatedAt))
		if err != nil {
			return err
		}
		if doc.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return insertChunks(ctx, tx, doc, chunks)
	})
	if err != nil {
		return Document{}, err
	}
	return doc, nil
}

func insertChunks(ctx context.Context, tx *sql.Tx, doc Document, chunks []Chunk) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO chunks(document_id, tenant_id, ord, heading,
		text, context, embedding) VALUES(?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i, c := range chunks {
		_, err := stmt.ExecContext(ctx, doc.ID, doc.TenantID, i, c.Heading, c.Text, c.Context,
			encodeVector(c.Embedding))
		if err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
	}
	return nil
}

// DeleteDocument removes a document and its chunks.
func (s *SQLite) DeleteDocument(ctx context.Context, tenantID string, docID int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM documents WHERE tenant_id = ? AND id = ?`,
		tenantID, docID)
	if err != nil {
		return fmt.Errorf("delete document %d: %w", docID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete document %d: %w", docID, ErrNotFound)
	}
	return nil
}

const chunkColumns = `c.id, c.document_id, c.tenant_id, d.source, d.title, c.ord, c.heading,
	c.text, c.context, c.embedding`

func scanChunk(rows *sql.Rows, extra ...any) (Chunk, error) {
	var c Chunk
	var vec []byte
	dest := append([]any{&c.ID, &c.DocumentID, &c.TenantID, &c.Source, &c.Title, &c.Ord,
		&c.Heading, &c.Text, &c.Context, &vec}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return Chunk{}, err
	}
	c.Embedding = decodeVector(vec)
	return c, nil
}

// Chunks returns every chunk of a tenant in document order.
func (s *SQLite) Chunks(ctx context.Context, tenantID string) ([]Chunk, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+chunkColumns+` FROM chunks c
		JOIN documents d ON d.id = c.document_id WHERE c.tenant_id = ? ORDER BY d.source, c.ord`,
		tenantID)
	if err != nil {
		return nil, fmt.Errorf("list chunks: %w", err)
	}
	defer rows.Close()

	var out []Chunk
	for rows.Next() {
		c, err := scanChunk(rows)
		if err != nil {
			return nil, fmt.Errorf("list chunks: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SearchChunks runs an FTS5 BM25 query. The query is free text: each word
// becomes a quoted term joined by OR, so user input can never be parsed as
// FTS syntax.
func (s *SQLite) SearchChunks(ctx context.Context, tenantID, query string, limit int) ([]ChunkHit, error) {
	match := ftsQuery(query)
	if match == "" || limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+chunkColumns+`, bm25(chunks_fts, 2.0, 1.0, 1.0)
		FROM chunks_fts f JOIN chunks c ON c.id = f.rowid JOIN documents d ON d.id = c.document_id
		WHERE chunks_fts MATCH ? AND c.tenant_id = ? ORDER BY bm25(chunks_fts, 2.0, 1.0, 1.0)
		LIMIT ?`, match, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("search chunks: %w", err)
	}
	defer rows.Close()

	var hits []ChunkHit
	for rows.Next() {
		var rank float64
		c, err := scanChunk(rows, &rank)
		if err != nil {
			return nil, fmt.Errorf("search chunks: %w", err)
		}
		// FTS5's bm25() is lower-is-better; flip it to match ChunkHit.
		hits = append(hits, ChunkHit{Chunk: c, Score: -rank})
	}
	return hits, rows.Err()
}

func ftsQuery(q string) string {
	words := strings.FieldsFunc(q, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for i, w := range words {
		words[i] = `"` + w + `"`
	}
	return strings.Join(words, " OR ")
}

// encodeVector stores float32s little-endian; nil stays NULL.
func encodeVector(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func decodeVector(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
