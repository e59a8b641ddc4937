package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order, each once, in its own transaction; the
// schema version is SQLite's user_version. Never edit a released entry:
// append a new one.
var migrations = []string{
	// 1: tenants, keys, knowledge base with full-text search, conversations.
	`
CREATE TABLE tenants (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE TABLE api_keys (
	hash      TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
);
CREATE TABLE documents (
	id         INTEGER PRIMARY KEY,
	tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	source     TEXT NOT NULL,
	title      TEXT NOT NULL,
	hash       TEXT NOT NULL,
	size       INTEGER NOT NULL,
	chunks     INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (tenant_id, source)
);
CREATE TABLE chunks (
	id          INTEGER PRIMARY KEY,
	document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
	tenant_id   TEXT NOT NULL,
	ord         INTEGER NOT NULL,
	heading     TEXT NOT NULL,
	text        TEXT NOT NULL,
	context     TEXT NOT NULL,
	embedding   BLOB
);
CREATE INDEX chunks_by_document ON chunks(document_id, ord);
CREATE INDEX chunks_by_tenant ON chunks(tenant_id);
CREATE VIRTUAL TABLE chunks_fts USING fts5(
	heading, text, context,
	content = 'chunks', content_rowid = 'id',
	tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
	INSERT INTO chunks_fts(rowid, heading, text, context)
	VALUES (new.id, new.heading, new.text, new.context);
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
	INSERT INTO chunks_fts(chunks_fts, rowid, heading, text, context)
	VALUES ('delete', old.id, old.heading, old.text, old.context);
END;
CREATE TABLE conversations (
	id          TEXT PRIMARY KEY,
	tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	channel     TEXT NOT NULL,
	agent       TEXT NOT NULL,
	started_at  INTEGER NOT NULL,
	ended_at    INTEGER NOT NULL DEFAULT 0,
	recording   TEXT NOT NULL DEFAULT '',
	fingerprint TEXT NOT NULL DEFAULT ''
);
CREATE INDEX conversations_by_tenant ON conversations(tenant_id, started_at);
CREATE INDEX conversations_by_fingerprint ON conversations(tenant_id, fingerprint);
CREATE TABLE turns (
	conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
	seq             INTEGER NOT NULL,
	role            TEXT NOT NULL,
	text            TEXT NOT NULL,
	at              INTEGER NOT NULL,
	mode            TEXT NOT NULL,
	sources         TEXT NOT NULL,
	latency         TEXT NOT NULL,
	PRIMARY KEY (conversation_id, seq)
);
`,
}

// migrate brings the schema to the newest version.
func (s *SQLite) migrate(ctx context.Context) error {
	var version int
	if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this binary knows (%d)",
			version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		err := s.tx(ctx, fmt.Sprintf("migration %d", v+1), func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
