package dialog

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Splitter cuts streamed text into sentences, so that speech synthesis can
// start on the first sentence while the model is still writing. Push it
// text as it arrives and it returns the sentences completed so far; Flush
// returns the rest at the end.
//
// A sentence ends at a newline, or at '.', '!', '?' or '…' (possibly
// followed by closing quotes or brackets) once the next character has
// arrived and is whitespace, so "3." followed later by "50" stays one
// number, and dots inside URLs, e-mail addresses, decimals and versions
// never end a sentence. A period after a known abbreviation ("Dr.",
// "e.g.") or a single capital initial ("J. Smith") does not end one
// either; after "etc.", "Inc.", "a.m.", an ellipsis and the like the
// sentence ends only if the next word starts with a capital or a digit.
// Sentences are returned without surrounding whitespace, and empty pieces
// are dropped. The zero value is ready to use; a Splitter is not safe for
// concurrent use.
type Splitter struct {
	// FirstClauseMin, when positive, lets the first piece be a clause:
	// once the first sentence grows past twice this many bytes without
	// ending, it is cut after the first ", ", "; " or " – " that leaves
	// a piece of at least FirstClauseMin bytes. It lowers the time to the
	// first spoken word.
	FirstClauseMin int

	buf          string
	scan         int  // bytes of buf known to hold no boundary
	clauseLooked bool // the first clause cut was searched for
	emitted      bool
}

// Push adds text and returns the sentences it completed.
func (s *Splitter) Push(text string) []string {
	s.buf += text
	var out []string
	for {
		piece, ok := s.next()
		if !ok {
			return out
		}
		if piece = strings.TrimSpace(piece); piece != "" {
			out = append(out, piece)
			s.emitted = true
		}
	}
}

// Flush returns whatever text is left, trimmed, and resets the splitter.
func (s *Splitter) Flush() string {
	rest := strings.TrimSpace(s.buf)
	*s = Splitter{FirstClauseMin: s.FirstClauseMin}
	return rest
}

// next removes the first complete piece from the buffer. It resumes
// scanning where the previous call stopped, so that text pushed a rune at
// a time costs linear time.
func (s *Splitter) next() (string, bool) {
	b := s.buf
	start := len(b) - len(strings.TrimLeftFunc(b, unicode.IsSpace))
	for i := max(start, s.scan); i < len(b); {
		if cut := s.clause(b[start:i]); cut > 0 {
			return s.take(start + cut), true
		}

		r, size := utf8.DecodeRuneInString(b[i:])
		switch {
		case r == '\n':
			s.take(i + 1)
			return b[:i], true
		case isTerminal(r):
			end, d := decideEnd(b, start, i)
			switch d {
			case undecided:
				s.scan = i
				return "", false
			case boundary:
				return s.take(end), true
			}
			i = end
			continue
		}
		i += size
	}
	s.scan = len(b)
	return "", false
}

// clause returns where to cut the first piece as a clause, or 0. The
// whole sentence so far is searched once, when it first grows too long;
// after that only a separator just completed can qualify.
func (s *Splitter) clause(sentence string) int {
	if s.FirstClauseMin <= 0 || s.emitted || len(sentence) <= 2*s.FirstClauseMin {
		return 0
	}
	if !s.clauseLooked {
		s.clauseLooked = true
		return clauseCut(sentence, s.FirstClauseMin)
	}
	for _, sep := range clauseSeparators {
		if strings.HasSuffix(sentence, sep) {
			return len(sentence) - 1 // each separator ends with one space
		}
	}
	return 0
}

// take removes and returns the first n bytes of the buffer.
func (s *Splitter) take(n int) string {
	piece := s.buf[:n]
	s.buf, s.scan, s.clauseLooked = s.buf[n:], 0, false
	return piece
}

// clauseSeparators end a clause that may be spoken on its own.
var clauseSeparators = []string{", ", "; ", " – ", " — "}

// clauseCut returns the end of the first clause of text that is at least
// min bytes long, or 0.
func clauseCut(text string, min int) int {
	best := 0
	for _, sep := range clauseSeparators {
		from := 0
		for {
			k := strings.Index(text[from:], sep)
			if k < 0 {
				break
			}
			end := from + k + len(strings.TrimRight(sep, " "))
			if end >= min {
				if best == 0 || end < best {
					best = end
				}
				break
			}
			from += k + len(sep)
		}
	}
	return best
}

// decision is what is known about a possible sentence end.
type decision int

const (
	undecided decision = iota // more text is needed
	noBoundary
	boundary
)

// decideEnd judges the run of terminal punctuation starting at i in b,
// where the current sentence starts at start. It returns the index just
// after the run and any closing quotes or brackets.
func decideEnd(b string, start, i int) (int, decision) {
	j := i
	for j < len(b) {
		r, size := utf8.DecodeRuneInString(b[j:])
		if !isTerminal(r) {
			break
		}
		j += size
	}
	run := b[i:j]
	for j < len(b) {
		r, size := utf8.DecodeRuneInString(b[j:])
		if !isCloser(r) {
			break
		}
		j += size
	}
	if j == len(b) {
		return j, undecided
	}
	if r, _ := utf8.DecodeRuneInString(b[j:]); !unicode.IsSpace(r) {
		return j, noBoundary
	}

	switch {
	case strings.ContainsAny(run, "!?"):
		return j, boundary
	case run != ".":
		return j, nextWordDecides(b, j) // an ellipsis
	}
	switch abbreviationKind(b[start:i]) {
	case abbrNever:
		return j, noBoundary
	case abbrCapital:
		return j, nextWordDecides(b, j)
	}
	return j, boundary
}

// nextWordDecides ends the sentence at j if the next word starts with a
// capital letter or a digit, or is on a new line.
func nextWordDecides(b string, j int) decision {
	for _, r := range b[j:] {
		switch {
		case r == '\n':
			return boundary
		case unicode.IsSpace(r):
			continue
		case unicode.IsUpper(r) || unicode.IsDigit(r) || isOpener(r):
			return boundary
		default:
			return noBoundary
		}
	}
	return undecided
}

func isTerminal(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '…' }

func isCloser(r rune) bool { return strings.ContainsRune(`"')]}»”’*`, r) }

func isOpener(r rune) bool { return strings.ContainsRune(`"'([{«“‘`, r) }
