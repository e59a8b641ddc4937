package rag

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/voiced/voiced/rag/ragtest"
	"github.com/voiced/voiced/store"
)

// sources returns the stored documents of tenant "acme" by base name.
func sources(t *testing.T, st store.Store) map[string]store.Document {
	t.Helper()
	docs, err := st.Documents(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]store.Document)
	for _, d := range docs {
		out[filepath.Base(d.Source)] = d
	}
	return out
}

func TestIngestAddsSkipsUpdatesAndDeletes(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.md":             "# A\n\nAlpha text.",
		"sub/b.txt":        "Bravo text.",
		"sub/c.html":       "<h1>C</h1><p>Charlie text.</p>",
		".hidden.md":       "# Hidden\n\nnever ingested",
		".git/x.md":        "# Git\n\nnever ingested",
		"notes/readme.rtf": "unsupported in a folder: ignored",
	})
	var events []ProgressEvent
	cfg := IngestConfig{Store: st, Progress: func(ev ProgressEvent) { events = append(events, ev) }}

	sum, err := Ingest(ctx, cfg, "acme", []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := IngestSummary{Added: 3, Chunks: 3}
	if sum.Added != want.Added || sum.Chunks != want.Chunks || len(sum.Failed) != 0 {
		t.Errorf("first run: got %+v, want %+v", sum, want)
	}
	if len(events) != 6 || events[0].Kind != FileStarted || events[1].Kind != FileDone ||
		events[5].Index != 3 || events[5].Total != 3 {
		t.Errorf("events = %+v, want started/done for 3 files", events)
	}
	if got := sources(t, st); len(got) != 3 || got["a.md"].Title != "A" ||
		!filepath.IsAbs(got["a.md"].Source) {
		t.Errorf("stored = %+v, want a.md (titled A, absolute source), b.txt, c.html", got)
	}

	// Second run: one file changed, one removed, one unchanged.
	writeFiles(t, dir, map[string]string{"a.md": "# A\n\nAlpha text, revised."})
	if err := os.Remove(filepath.Join(dir, "sub/c.html")); err != nil {
		t.Fatal(err)
	}
	sum, err = Ingest(ctx, IngestConfig{Store: st}, "acme", []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Added != 0 || sum.Updated != 1 || sum.Unchanged != 1 || sum.Deleted != 1 {
		t.Errorf("second run: got %+v, want 1 updated, 1 unchanged, 1 deleted", sum)
	}
	chunks, _ := st.Chunks(ctx, "acme")
	if len(chunks) != 2 || !strings.Contains(chunks[0].Text, "revised") {
		t.Errorf("chunks = %+v, want the revised a.md and b.txt", chunks)
	}
}

func TestIngestOnlyDeletesUnderGivenPaths(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	one, two := t.TempDir(), t.TempDir()
	writeFiles(t, one, map[string]string{"one.md": "# One\n\ntext"})
	writeFiles(t, two, map[string]string{"two.md": "# Two\n\ntext", "three.md": "# Three\n\ntext"})
	if _, err := Ingest(ctx, IngestConfig{Store: st}, "acme", []string{one, two}); err != nil {
		t.Fatal(err)
	}

	os.Remove(filepath.Join(one, "one.md"))
	os.Remove(filepath.Join(two, "three.md"))
	sum, err := Ingest(ctx, IngestConfig{Store: st}, "acme", []string{filepath.Join(two, "two.md")})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Deleted != 0 || sum.Unchanged != 1 {
		t.Errorf("got %+v, want nothing deleted outside two.md", sum)
	}
	sum, err = Ingest(ctx, IngestConfig{Store: st}, "acme", []string{filepath.Join(one, "one.md")})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Deleted != 1 {
		t.Errorf("got %+v, want the missing file given by name deleted", sum)
	}
	if got := sources(t, st); len(got) != 2 || got["three.md"].Source == "" {
		t.Errorf("stored = %v, want two.md and three.md (outside the paths given)", got)
	}
}

func TestIngestFailedFileKeepsPreviousVersion(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"good.md": "# Good\n\nfine", "flaky.md": "# Flaky\n\nversion one"})
	if _, err := Ingest(ctx, IngestConfig{Store: st}, "acme", []string{dir}); err != nil {
		t.Fatal(err)
	}
	before := sources(t, st)["flaky.md"]

	writeFiles(t, dir, map[string]string{"flaky.md": "# Flaky\x00\x01 binary now", "good.md": "# Good\n\nbetter"})
	var failed []ProgressEvent
	cfg := IngestConfig{Store: st, Progress: func(ev ProgressEvent) {
		if ev.Kind == FileFailed {
			failed = append(failed, ev)
		}
	}}
	sum, err := Ingest(ctx, cfg, "acme", []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failed) != 1 || !errors.Is(sum.Failed[0].Err, ErrBinary) ||
		filepath.Base(sum.Failed[0].Path) != "flaky.md" || sum.Updated != 1 || sum.Deleted != 0 {
		t.Fatalf("got %+v, want flaky.md failed with ErrBinary and good.md updated", sum)
	}
	if len(failed) != 1 || !errors.Is(failed[0].Err, ErrBinary) {
		t.Errorf("failed events = %+v, want one with ErrBinary", failed)
	}
	if after := sources(t, st)["flaky.md"]; after.Hash != before.Hash {
		t.Errorf("flaky.md hash = %s, want the previous %s", after.Hash, before.Hash)
	}
}

func TestIngestUnsupportedFileByName(t *testing.T) {
	st := newTestStore(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"doc.docx": "PK"})
	sum, err := Ingest(context.Background(), IngestConfig{Store: st}, "acme",
		[]string{filepath.Join(dir, "doc.docx")})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failed) != 1 || !errors.Is(sum.Failed[0].Err, ErrUnsupportedType) {
		t.Errorf("got %+v, want one ErrUnsupportedType failure", sum)
	}
}

func TestIngestUnknownTenant(t *testing.T) {
	st := newTestStore(t)
	_, err := Ingest(context.Background(), IngestConfig{Store: st}, "nobody", []string{t.TempDir()})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("got %v, want store.ErrNotFound", err)
	}
	if _, err := Ingest(context.Background(), IngestConfig{}, "acme", nil); !errors.Is(err, ErrNoStore) {
		t.Errorf("got %v, want ErrNoStore", err)
	}
}

// fakeContextualizer situates chunks by their first word and counts
// concurrent calls.
type fakeContextualizer struct {
	running, peak atomic.Int32
	docLen        atomic.Int32
	fail          bool
}

func (f *fakeContextualizer) Situate(ctx context.Context, title, document, chunk string) (string, error) {
	n := f.running.Add(1)
	defer f.running.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	f.docLen.Store(int32(len([]rune(document))))
	if f.fail {
		return "", errors.New("small llm unavailable")
	}
	return "From " + title + ".", nil
}

func TestIngestContextAndEmbeddings(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t)
	srv := ragtest.NewTEI(t, ragtest.Options{})
	emb, err := NewEmbeddingClient(EmbeddingConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()

	dir := t.TempDir()
	body := strings.Repeat("Some long paragraph about tariffs and meters. ", 20)
	var md strings.Builder
	md.WriteString("# Handbook\n")
	for i := range 12 {
		md.WriteString("\n## Part " + string(rune('A'+i)) + "\n\n" + body + "\n")
	}
	writeFiles(t, dir, map[string]string{"handbook.md": md.String()})

	situ := &fakeContextualizer{}
	cfg := IngestConfig{Store: st, Embedder: emb, Contextualizer: situ, ContextConcurrency: 3}
	sum, err := Ingest(ctx, cfg, "acme", []string{dir})
	if err != nil || sum.Added != 1 || sum.Chunks != 12 {
		t.Fatalf("got %+v, %v; want 1 document of 12 chunks", sum, err)
	}
	if p := situ.peak.Load(); p > 3 {
		t.Errorf("peak concurrent Situate calls = %d, want <= 3", p)
	}
	if n := situ.docLen.Load(); n > maxContextDocument {
		t.Errorf("document passed to Situate has %d characters, want <= %d", n, maxContextDocument)
	}
	chunks, _ := st.Chunks(ctx, "acme")
	for _, c := range chunks {
		if c.Context != "From Handbook." || len(c.Embedding) != 64 {
			t.Fatalf("chunk %d: context %q, %d dims; want a context and 64 dims", c.Ord, c.Context, len(c.Embedding))
		}
	}
	if !slices.Equal(srv.Batches(), []int{12}) {
		t.Errorf("embedding batches = %v, want [12]", srv.Batches())
	}

	// A failing contextualizer fails the file and keeps the stored one.
	writeFiles(t, dir, map[string]string{"handbook.md": md.String() + "\nMore.\n"})
	sum, err = Ingest(ctx, IngestConfig{Store: st, Contextualizer: &fakeContextualizer{fail: true}},
		"acme", []string{dir})
	if err != nil || len(sum.Failed) != 1 || sum.Deleted != 0 {
		t.Fatalf("got %+v, %v; want handbook.md failed, nothing deleted", sum, err)
	}
	if after, _ := st.Chunks(ctx, "acme"); len(after) != 12 {
		t.Errorf("got %d chunks, want the previous 12", len(after))
	}
}

func TestDocumentTextTruncates(t *testing.T) {
	doc := Parsed{Sections: []Section{{Heading: []string{"H"}, Paragraphs: []string{strings.Repeat("wörd ", 3000)}}}}
	got := documentText(doc, 100)
	if n := len([]rune(got)); n > 100 || n < 50 || strings.HasSuffix(got, "wö") {
		t.Errorf("got %d runes ending %q, want <= 100 cut at a space", n, got[len(got)-5:])
	}
}
