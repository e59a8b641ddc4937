package rag

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Chunk sizes in characters (runes).
const (
	DefaultChunkTarget = 800
	DefaultChunkMax    = 1500
)

// ChunkConfig sizes chunks. Zero values take the defaults.
type ChunkConfig struct {
	// Target is the size paragraphs are packed up to (default 800).
	Target int
	// Max is the hard limit no chunk exceeds (default 1500). Paragraphs
	// longer than Max are split at sentence ends, sentences longer than
	// Max at spaces.
	Max int
}

func (c ChunkConfig) withDefaults() ChunkConfig {
	if c.Target <= 0 {
		c.Target = DefaultChunkTarget
	}
	if c.Max <= 0 {
		c.Max = DefaultChunkMax
	}
	if c.Max < c.Target {
		c.Max = c.Target
	}
	return c
}

// TextChunk is one passage produced by ChunkDocument.
type TextChunk struct {
	// Heading is the heading path of the chunk's section ("Prices > Gas").
	Heading string
	Text    string
}

// ChunkDocument splits a parsed document along its structure: a chunk
// never spans two sections, whole paragraphs are packed together up to
// cfg.Target, and no chunk is longer than cfg.Max. Every chunk keeps its
// section's heading path.
func ChunkDocument(doc Parsed, cfg ChunkConfig) []TextChunk {
	cfg = cfg.withDefaults()
	var out []TextChunk
	for _, s := range doc.Sections {
		heading := s.HeadingPath()
		for _, text := range packSection(s.Paragraphs, cfg) {
			out = append(out, TextChunk{Heading: heading, Text: text})
		}
	}
	return out
}

// packSection packs a section's paragraphs into chunk texts.
func packSection(paragraphs []string, cfg ChunkConfig) []string {
	var out []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if curLen > 0 {
			out = append(out, cur.String())
			cur.Reset()
			curLen = 0
		}
	}

	for _, para := range paragraphs {
		for _, piece := range splitLong(para, cfg) {
			n := utf8.RuneCountInString(piece)
			if curLen > 0 && curLen+2+n > cfg.Target {
				flush()
			}
			if curLen > 0 {
				cur.WriteString("\n\n")
				curLen += 2
			}
			cur.WriteString(piece)
			curLen += n
		}
	}
	flush()
	return out
}

// splitLong returns a paragraph as is when it fits in cfg.Max, and
// otherwise as sentence groups of at most cfg.Target characters (a single
// sentence over cfg.Max is cut at spaces).
func splitLong(para string, cfg ChunkConfig) []string {
	if utf8.RuneCountInString(para) <= cfg.Max {
		return []string{para}
	}
	var out []string
	var cur []string
	curLen := 0
	for _, sentence := range splitSentences(para) {
		for _, part := range cutAtSpaces(sentence, cfg.Max) {
			n := utf8.RuneCountInString(part)
			if curLen > 0 && curLen+1+n > cfg.Target {
				out = append(out, strings.Join(cur, " "))
				cur, curLen = cur[:0], 0
			}
			if curLen > 0 {
				curLen++
			}
			cur = append(cur, part)
			curLen += n
		}
	}
	if curLen > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	return out
}

// splitSentences splits text after '.', '!' or '?' when white space and
// an upper-case letter, digit or quote follow, and at line breaks. Decimal
// numbers ("0.32") and lower-case continuations ("e.g. the") stay whole.
func splitSentences(text string) []string {
	var out []string
	start := 0
	runes := []rune(text)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		end := -1
		switch {
		case r == '\n':
			end = i
		case (r == '.' || r == '!' || r == '?') && i+2 < len(runes) &&
			unicode.IsSpace(runes[i+1]) && startsSentence(runes[i+2]):
			end = i + 1
		}
		if end < 0 {
			continue
		}
		if s := strings.TrimSpace(string(runes[start:end])); s != "" {
			out = append(out, s)
		}
		start = end
	}
	if s := strings.TrimSpace(string(runes[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

func startsSentence(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsDigit(r) || r == '"' || r == '\'' || r == '('
}

// cutAtSpaces cuts s into pieces of at most max runes, preferring the last
// space before the limit.
func cutAtSpaces(s string, max int) []string {
	var out []string
	runes := []rune(s)
	for len(runes) > max {
		cut := max
		for i := max; i > max/2; i-- {
			if unicode.IsSpace(runes[i]) {
				cut = i
				break
			}
		}
		out = append(out, strings.TrimSpace(string(runes[:cut])))
		runes = []rune(strings.TrimSpace(string(runes[cut:])))
	}
	if len(runes) > 0 {
		out = append(out, string(runes))
	}
	return out
}
