package rag

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/voiced/voiced/store"
)

// maxContextDocument bounds the document text passed to a Contextualizer,
// in characters; small models have small context windows.
const maxContextDocument = 8000

// foundFiles is what findFiles found under the ingestion roots.
type foundFiles struct {
	roots      []string
	files      []string // sorted, unique
	seen       map[string]bool
	unreadable []FileError
}

// covers reports whether source is one of the roots or lies below one.
func (f foundFiles) covers(source string) bool {
	for _, root := range f.roots {
		prefix := root
		if !strings.HasSuffix(prefix, string(filepath.Separator)) {
			prefix += string(filepath.Separator)
		}
		if source == root || strings.HasPrefix(source, prefix) {
			return true
		}
	}
	return false
}

// findFiles resolves paths to absolute, clean roots and lists the files to
// ingest: each root that is a file, whatever its type (an unsupported one
// fails visibly), and the supported, non-hidden files below each root
// that is a folder. A root that does not exist contributes no files, so
// its documents are deleted.
func findFiles(paths []string) (foundFiles, error) {
	found := foundFiles{seen: make(map[string]bool)}
	for _, p := range paths {
		root, err := filepath.Abs(p)
		if err != nil {
			return found, fmt.Errorf("resolve %s: %w", p, err)
		}
		found.roots = append(found.roots, root)
		info, err := os.Stat(root)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			found.unreadable = append(found.unreadable, FileError{Path: root, Err: err})
			continue
		}
		if !info.IsDir() {
			found.add(root)
			continue
		}
		found.walk(root)
	}
	slices.Sort(found.files)
	return found, nil
}

func (f *foundFiles) add(path string) {
	if !f.seen[path] {
		f.seen[path] = true
		f.files = append(f.files, path)
	}
}

// walk adds the supported files below root, skipping hidden entries.
func (f *foundFiles) walk(root string) {
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			f.unreadable = append(f.unreadable, FileError{Path: path, Err: err})
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !Supported(path) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		f.add(path)
		return nil
	})
}

// situate asks the Contextualizer for each chunk's context sentence, at
// most ContextConcurrency at a time. The first failure cancels the rest.
func (in *ingester) situate(ctx context.Context, parsed Parsed, chunks []store.Chunk) error {
	if in.cfg.Contextualizer == nil {
		return nil
	}
	document := documentText(parsed, maxContextDocument)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	sem := make(chan struct{}, in.cfg.ContextConcurrency)
	var wg sync.WaitGroup
	for i := range chunks {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			sentence, err := in.cfg.Contextualizer.Situate(ctx, parsed.Title, document,
				passageText(Passage{Heading: chunks[i].Heading, Text: chunks[i].Text}))
			if err != nil {
				cancel(fmt.Errorf("chunk %d: %w", i, err))
				return
			}
			chunks[i].Context = strings.TrimSpace(sentence)
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// embed gives each chunk the vector of its heading, context and text.
func (in *ingester) embed(ctx context.Context, chunks []store.Chunk) error {
	if in.cfg.Embedder == nil {
		return nil
	}
	texts := make([]string, len(chunks))
	for i, c := range chunks {
		texts[i] = embeddingText(c)
	}
	vecs, err := in.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return err
	}
	if len(vecs) != len(chunks) {
		return fmt.Errorf("%w: %d vectors for %d chunks", ErrBadResponse, len(vecs), len(chunks))
	}
	for i := range chunks {
		chunks[i].Embedding = vecs[i]
	}
	return nil
}

// embeddingText is what a chunk's vector represents: its heading path,
// its context sentence and its text.
func embeddingText(c store.Chunk) string {
	parts := make([]string, 0, 3)
	for _, s := range []string{c.Heading, c.Context, c.Text} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n")
}

// documentText renders a parsed document as plain text with its headings,
// cut to at most limit characters at a word boundary.
func documentText(doc Parsed, limit int) string {
	var sb strings.Builder
	for _, s := range doc.Sections {
		if h := s.HeadingPath(); h != "" {
			sb.WriteString(h + "\n")
		}
		for _, p := range s.Paragraphs {
			sb.WriteString(p + "\n\n")
		}
	}
	text := strings.TrimSpace(sb.String())
	if utf8.RuneCountInString(text) <= limit {
		return text
	}
	runes := []rune(text)[:limit]
	if cut := strings.LastIndexAny(string(runes), " \n"); cut > limit/2 {
		return string(runes)[:cut]
	}
	return string(runes)
}
