package wire

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Qwen3-ASR writes its output as "language English<asr_text>Hello." and,
// for empty audio, "language None<asr_text>" (protocols.md section 1). The
// realtime endpoint decodes in segments and may repeat the prefix in every
// segment, each segment possibly ending in a newline (1b, known faults).
const (
	tag     = "<asr_text>"
	langKey = "language"
	// noLanguage is the name the model reports for empty audio.
	noLanguage = "None"
	// maxPrefix bounds how far back from the end of a stream an incomplete
	// prefix is looked for; the longest is "language " + a language name +
	// "<asr_text" (well under 64 bytes).
	maxPrefix = 64
)

// Clean returns raw without its language prefixes and the last language
// the prefixes named ("" for "None"). Everything up to and including the
// first <asr_text> is dropped; for each later <asr_text>, the
// "language X" just before it is dropped and the text of the segment
// before it is kept. Segments are joined with single spaces. A "None"
// segment (silence) does not hide the language of another segment.
func Clean(raw string) (text, lang string) {
	var segs []string
	rest, first := raw, true
	for {
		i := strings.Index(rest, tag)
		if i < 0 {
			segs = append(segs, rest)
			break
		}
		keep, name, ok := splitPrefix(rest[:i])
		if ok && name != "" && (name != noLanguage || lang == "") {
			lang = name
		}
		if !first {
			segs = append(segs, keep)
		}
		rest, first = rest[i+len(tag):], false
	}
	if lang == noLanguage {
		lang = ""
	}
	return join(segs), lang
}

// splitPrefix finds the "language X" that ends head and returns the text
// before it and X. ok is false when head does not end in such a prefix.
func splitPrefix(head string) (keep, name string, ok bool) {
	p := strings.LastIndex(head, langKey)
	if p < 0 || !wordStart(head, p) {
		return head, "", false
	}
	after := head[p+len(langKey):]
	name = strings.TrimSpace(after)
	if after != "" && !startsWithSpace(after) || strings.IndexFunc(name, unicode.IsSpace) >= 0 {
		return head, "", false
	}
	return head[:p], name, true
}

// join trims the segments and joins the non-empty ones with a space.
func join(segs []string) string {
	var b strings.Builder
	for _, s := range segs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}

// Stream cleans a transcript that arrives in deltas. The zero Stream is
// ready to use; it is not safe for concurrent use.
type Stream struct {
	raw  strings.Builder
	last string
}

// Add appends a delta and returns the cleaned text so far, holding back a
// tail that may be the start of a prefix split across deltas ("language",
// " English", "<asr", "_text>"). changed reports whether the text differs
// from what the previous Add returned.
func (s *Stream) Add(delta string) (text string, changed bool) {
	s.raw.WriteString(delta)
	raw := s.raw.String()
	text, _ = Clean(raw[:len(raw)-pendingLen(raw)])
	if text == s.last {
		return text, false
	}
	s.last = text
	return text, true
}

// Raw returns every delta added so far, as received.
func (s *Stream) Raw() string { return s.raw.String() }

// Result returns the cleaned text of everything added and the language.
func (s *Stream) Result() (text, lang string) { return Clean(s.raw.String()) }

// pendingLen returns the length of the longest tail of raw that may still
// grow into a language prefix or an <asr_text> tag.
func pendingLen(raw string) int {
	for j := max(0, len(raw)-maxPrefix); j < len(raw); j++ {
		c := raw[j]
		if c == '<' || c == langKey[0] && wordStart(raw, j) {
			if partialPrefix(raw[j:]) {
				return len(raw) - j
			}
		}
	}
	return 0
}

// partialPrefix reports whether s is an incomplete "language X<asr_text>"
// or an incomplete "<asr_text>".
func partialPrefix(s string) bool {
	if strings.HasPrefix(s, "<") {
		return strings.HasPrefix(tag, s) && s != tag
	}
	if len(s) <= len(langKey) {
		return strings.HasPrefix(langKey, s)
	}
	if !strings.HasPrefix(s, langKey) {
		return false
	}
	rest := s[len(langKey):]
	if !startsWithSpace(rest) {
		return false
	}
	rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
	name, angle, found := strings.Cut(rest, "<")
	if strings.IndexFunc(name, unicode.IsSpace) >= 0 {
		return false
	}
	return !found || strings.HasPrefix(tag, "<"+angle) && "<"+angle != tag
}

// wordStart reports whether position i of s begins a word.
func wordStart(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
