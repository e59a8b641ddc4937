package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T) *SQLite {
	t.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "voiced.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.EnsureTenant(context.Background(), Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMigrationsAreIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "voiced.db")
	for i := 0; i < 2; i++ {
		s, err := OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		s.Close()
	}
}

func TestAPIKeysAreHashed(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if err := s.SetAPIKeys(ctx, "acme", []string{"secret-1"}); err != nil {
		t.Fatal(err)
	}

	got, err := s.TenantByAPIKey(ctx, "secret-1")
	if err != nil || got.ID != "acme" {
		t.Fatalf("TenantByAPIKey = %v, %v; want acme", got.ID, err)
	}
	if _, err := s.TenantByAPIKey(ctx, "wrong"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("wrong key: got %v, want ErrNotFound", err)
	}
	var stored string
	s.db.QueryRow(`SELECT hash FROM api_keys`).Scan(&stored)
	if strings.Contains(stored, "secret") || stored != HashKey("secret-1") {
		t.Fatalf("stored key %q is not the hash", stored)
	}
}

func TestPutDocumentReplacesChunksAndSearches(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	doc := Document{TenantID: "acme", Source: "/kb/hours.md", Title: "Hours", Hash: "h1"}
	_, err := s.PutDocument(ctx, doc, []Chunk{
		{Heading: "Opening hours", Text: "We are open Monday to Friday.", Embedding: []float32{1, 0.5}},
		{Heading: "Saturday", Text: "On Saturdays the shop opens at nine."},
	})
	if err != nil {
		t.Fatal(err)
	}
	doc.Hash = "h2"
	doc, err = s.PutDocument(ctx, doc, []Chunk{{Heading: "Saturday", Text: "Closed on Saturdays."}})
	if err != nil {
		t.Fatal(err)
	}

	chunks, err := s.Chunks(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 1 || chunks[0].Text != "Closed on Saturdays." || chunks[0].Source != "/kb/hours.md" {
		t.Fatalf("chunks after replace = %+v", chunks)
	}
	hits, err := s.SearchChunks(ctx, "acme", `saturday "OR" NEAR(`, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Chunk.ID != chunks[0].ID {
		t.Fatalf("search hits = %+v, want the replaced chunk", hits)
	}
	if hits, _ := s.SearchChunks(ctx, "other", "saturday", 5); len(hits) != 0 {
		t.Fatalf("search leaked across tenants: %+v", hits)
	}

	if err := s.DeleteDocument(ctx, "acme", doc.ID); err != nil {
		t.Fatal(err)
	}
	if hits, _ := s.SearchChunks(ctx, "acme", "saturday", 5); len(hits) != 0 {
		t.Fatalf("hits after delete: %+v", hits)
	}
}

func TestEmbeddingRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	want := []float32{0.25, -1.5, 3}
	_, err := s.PutDocument(ctx, Document{TenantID: "acme", Source: "a"}, []Chunk{{Text: "x", Embedding: want}})
	if err != nil {
		t.Fatal(err)
	}
	chunks, _ := s.Chunks(ctx, "acme")
	got := chunks[0].Embedding
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("embedding = %v, want %v", got, want)
	}
}

func TestFailedPutLeavesPreviousVersion(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	doc := Document{TenantID: "acme", Source: "a", Hash: "old"}
	if _, err := s.PutDocument(ctx, doc, []Chunk{{Text: "old text"}}); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	doc.Hash = "new"
	if _, err := s.PutDocument(cancelled, doc, []Chunk{{Text: "new text"}}); err == nil {
		t.Fatal("put with cancelled context succeeded")
	}
	docs, _ := s.Documents(ctx, "acme")
	if len(docs) != 1 || docs[0].Hash != "old" {
		t.Fatalf("documents = %+v, want the old version", docs)
	}
}

func TestConversationsAndFingerprints(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := Conversation{ID: "c1", TenantID: "acme", Channel: "chat", Agent: "default"}
	if err := s.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateConversation(ctx, c); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate create: got %v, want ErrExists", err)
	}
	err := s.AppendTurns(ctx, "c1", []Turn{
		{Role: "user", Text: "hi"},
		{Role: "assistant", Text: "hello", Mode: "extractive", Sources: []string{"a.md"},
			Latency: map[string]float64{"total": 12.5}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendTurns(ctx, "c1", []Turn{{Role: "user", Text: "again"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendTurns(ctx, "missing", []Turn{{Role: "user", Text: "x"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("append to missing: got %v, want ErrNotFound", err)
	}
	if err := s.SetFingerprint(ctx, "c1", "fp"); err != nil {
		t.Fatal(err)
	}
	if err := s.EndConversation(ctx, "c1", time.Now()); err != nil {
		t.Fatal(err)
	}

	got, turns, err := s.Conversation(ctx, "acme", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Turns != 3 || got.EndedAt.IsZero() || len(turns) != 3 {
		t.Fatalf("conversation = %+v with %d turns", got, len(turns))
	}
	if turns[1].Seq != 2 || turns[1].Sources[0] != "a.md" || turns[1].Latency["total"] != 12.5 {
		t.Fatalf("turn 2 = %+v", turns[1])
	}
	if _, _, err := s.Conversation(ctx, "other", "c1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other tenant read: got %v, want ErrNotFound", err)
	}
	byFP, err := s.ConversationByFingerprint(ctx, "acme", "fp")
	if err != nil || byFP.ID != "c1" {
		t.Fatalf("by fingerprint = %v, %v", byFP.ID, err)
	}
	list, _ := s.Conversations(ctx, "acme", 10)
	if len(list) != 1 {
		t.Fatalf("list = %+v", list)
	}
}
