package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, FTS5 built in)
)

// SQLite is the single-node Store: one database file with WAL journaling.
type SQLite struct {
	db *sql.DB
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens (creating if needed) the database at path and applies
// pending migrations.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create database folder: %w", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One writer at a time is what SQLite allows anyway; a small pool keeps
	// readers concurrent under WAL.
	db.SetMaxOpenConns(4)

	s := &SQLite{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return s, nil
}

// Close releases the database.
func (s *SQLite) Close() error { return s.db.Close() }

// EnsureTenant creates the tenant or updates its name.
func (s *SQLite) EnsureTenant(ctx context.Context, t Tenant) error {
	if t.ID == "" {
		return errors.New("ensure tenant: empty id")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO tenants(id, name, created_at) VALUES(?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET name = excluded.name`, t.ID, t.Name, unixMilli(time.Now()))
	if err != nil {
		return fmt.Errorf("ensure tenant %s: %w", t.ID, err)
	}
	return nil
}

// Tenant returns one tenant, or ErrNotFound.
func (s *SQLite) Tenant(ctx context.Context, id string) (Tenant, error) {
	var t Tenant
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, name, created_at FROM tenants WHERE id = ?`, id).
		Scan(&t.ID, &t.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Tenant{}, fmt.Errorf("tenant %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("tenant %s: %w", id, err)
	}
	t.CreatedAt = fromMilli(created)
	return t, nil
}

// SetAPIKeys replaces the tenant's API keys, keeping only their hashes.
func (s *SQLite) SetAPIKeys(ctx context.Context, tenantID string, keys []string) error {
	return s.tx(ctx, "set api keys", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_keys WHERE tenant_id = ?`, tenantID); err != nil {
			return err
		}
		for _, k := range keys {
			if k == "" {
				return errors.New("empty api key")
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO api_keys(hash, tenant_id) VALUES(?, ?)`,
				HashKey(k), tenantID)
			if err != nil {
				return fmt.Errorf("key already belongs to a tenant: %w", err)
			}
		}
		return nil
	})
}

// TenantByAPIKey finds the tenant owning key, or ErrNotFound.
func (s *SQLite) TenantByAPIKey(ctx context.Context, key string) (Tenant, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT tenant_id FROM api_keys WHERE hash = ?`, HashKey(key)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Tenant{}, fmt.Errorf("api key: %w", ErrNotFound)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("api key: %w", err)
	}
	return s.Tenant(ctx, id)
}

// HashKey is how API keys are stored: hex SHA-256. Keys are long random
// tokens, so an unsalted fast hash is enough to make a leaked database
// useless for authentication.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// tx runs fn in a transaction, rolling back on error.
func (s *SQLite) tx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
