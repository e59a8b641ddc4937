package rag

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Parsed is a document reduced to its title and its text sections, in
// reading order.
type Parsed struct {
	Title    string
	Sections []Section
}

// Section is a run of paragraphs under one heading path. Chunks never span
// two sections.
type Section struct {
	// Heading is the path of headings above the paragraphs, outermost
	// first; empty for text before the first heading.
	Heading    []string
	Paragraphs []string
}

// HeadingPath joins the heading path for display and storage
// ("Prices > Gas").
func (s Section) HeadingPath() string { return strings.Join(s.Heading, " > ") }

// parsers maps a lower-case file extension to its parser.
var parsers = map[string]func(data []byte) (Parsed, error){
	".txt":      parseText,
	".text":     parseText,
	".md":       parseMarkdown,
	".markdown": parseMarkdown,
	".html":     parseHTML,
	".htm":      parseHTML,
	".pdf":      parsePDF,
}

// Supported reports whether Parse handles files with name's extension.
func Supported(name string) bool {
	_, ok := parsers[strings.ToLower(filepath.Ext(name))]
	return ok
}

// Parse parses data as the type given by the extension of name. The title
// falls back to the file name without extension when the document names
// none. Errors wrap ErrUnsupportedType, ErrBinary, ErrEmpty or ErrNoText
// when the input is of the wrong kind.
func Parse(name string, data []byte) (Parsed, error) {
	ext := strings.ToLower(filepath.Ext(name))
	parse, ok := parsers[ext]
	if !ok {
		return Parsed{}, fmt.Errorf("parse %s: %w %q", filepath.Base(name), ErrUnsupportedType, ext)
	}
	if ext != ".pdf" {
		if err := checkText(data); err != nil {
			return Parsed{}, fmt.Errorf("parse %s: %w", filepath.Base(name), err)
		}
		data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	}

	doc, err := parse(data)
	if err != nil {
		return Parsed{}, fmt.Errorf("parse %s: %w", filepath.Base(name), err)
	}
	doc.Sections = dropEmptySections(doc.Sections)
	if len(doc.Sections) == 0 {
		return Parsed{}, fmt.Errorf("parse %s: %w", filepath.Base(name), ErrNoText)
	}
	if doc.Title == "" {
		doc.Title = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	return doc, nil
}

// checkText rejects empty input and input that is not UTF-8 text: any NUL
// byte, or more than 1% invalid UTF-8 sequences (a few stray bytes in an
// otherwise good file are tolerated and read as U+FFFD).
func checkText(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return ErrEmpty
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return fmt.Errorf("%w: NUL byte", ErrBinary)
	}
	invalid, runes := 0, 0
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			invalid++
		}
		runes++
		i += size
	}
	if invalid > 0 && invalid*100 > runes {
		return fmt.Errorf("%w: %d of %d characters are not UTF-8", ErrBinary, invalid, runes)
	}
	return nil
}

// dropEmptySections removes blank paragraphs and sections left without
// any.
func dropEmptySections(sections []Section) []Section {
	out := sections[:0]
	for _, s := range sections {
		paras := s.Paragraphs[:0]
		for _, p := range s.Paragraphs {
			if p = strings.TrimSpace(p); p != "" {
				paras = append(paras, p)
			}
		}
		if len(paras) > 0 {
			s.Paragraphs = paras
			out = append(out, s)
		}
	}
	return out
}

// collapseSpace replaces every run of white space with one space and trims
// the ends.
func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// sectionBuilder accumulates sections while a parser walks a document.
type sectionBuilder struct {
	sections []Section
	heading  []string
	levels   []int
	paras    []string
}

// heading starts a new section under a heading of the given level (1 for
// the outermost), replacing any headings of the same or a deeper level.
func (b *sectionBuilder) startHeading(level int, text string) {
	b.flushSection()
	for len(b.levels) > 0 && b.levels[len(b.levels)-1] >= level {
		b.levels = b.levels[:len(b.levels)-1]
		b.heading = b.heading[:len(b.heading)-1]
	}
	b.levels = append(b.levels, level)
	b.heading = append(b.heading, text)
}

// paragraph adds one paragraph to the current section.
func (b *sectionBuilder) paragraph(text string) {
	if text = strings.TrimSpace(text); text != "" {
		b.paras = append(b.paras, text)
	}
}

func (b *sectionBuilder) flushSection() {
	if len(b.paras) == 0 {
		return
	}
	b.sections = append(b.sections, Section{
		Heading:    append([]string(nil), b.heading...),
		Paragraphs: b.paras,
	})
	b.paras = nil
}

// done returns the sections built so far.
func (b *sectionBuilder) done() []Section {
	b.flushSection()
	return b.sections
}
