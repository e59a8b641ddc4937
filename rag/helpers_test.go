package rag

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/voiced/voiced/store"
)

// newTestStore opens a fresh SQLite store with the tenant "acme".
func newTestStore(t testing.TB) *store.SQLite {
	t.Helper()
	s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "voiced.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.EnsureTenant(context.Background(), store.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatalf("ensure tenant: %v", err)
	}
	return s
}

// writeFiles creates files (path relative to dir → content) under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
