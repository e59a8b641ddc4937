package sphinx

import (
	"strconv"
	"strings"
	"unicode"
)

// Turning written text into the words a caller would say: lowercase,
// numbers spelled out, the few abbreviations a utility's documents use
// expanded, and split into sentences, because a language model learns
// which words start and end one.

// spoken expands abbreviations that are read out differently from how they
// are written.
var spoken = map[string][]string{
	"kwh": {"kilowatt", "hours"},
	"eur": {"euros"},
	"&":   {"and"},
}

// sentences splits text into sentences of spoken words.
func sentences(text string) [][]string {
	var out [][]string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	for _, line := range strings.Split(text, "\n") {
		for _, tok := range strings.Fields(line) {
			words, ends := spokenWords(tok)
			cur = append(cur, words...)
			if ends {
				flush()
			}
		}
		// Headings, list items and table rows end at the line's end.
		flush()
	}
	return out
}

// spokenWords turns one whitespace-separated token into words and says
// whether it ends a sentence.
func spokenWords(tok string) (words []string, ends bool) {
	tok = strings.ToLower(tok)
	trimmed := strings.TrimRight(tok, `"')]*_`)
	ends = strings.HasSuffix(trimmed, ".") || strings.HasSuffix(trimmed, "?") ||
		strings.HasSuffix(trimmed, "!") || strings.HasSuffix(trimmed, ":") ||
		strings.HasSuffix(trimmed, ";")
	if w, ok := spoken[trimmed]; ok {
		return w, ends
	}

	// A time such as 9:00 is said as its hour.
	if h, m, ok := strings.Cut(strings.TrimRight(trimmed, ".,;:?!"), ":"); ok && m == "00" {
		if n, err := strconv.Atoi(h); err == nil && n >= 0 && n < 24 {
			return numberWords(h), ends
		}
	}

	for _, part := range strings.FieldsFunc(tok, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	}) {
		part = strings.Trim(part, "'")
		switch {
		case part == "":
		case isDigits(part):
			words = append(words, numberWords(part)...)
		default:
			if w, ok := spoken[part]; ok {
				words = append(words, w...)
			} else {
				words = append(words, part)
			}
		}
	}
	return words, ends
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

var (
	ones = []string{"zero", "one", "two", "three", "four", "five", "six", "seven",
		"eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen",
		"fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty",
		"seventy", "eighty", "ninety"}
)

// numberWords spells a string of digits: as a number up to 9999 without a
// leading zero, digit by digit otherwise (phone numbers, postcodes).
func numberWords(digits string) []string {
	n, err := strconv.Atoi(digits)
	if err != nil || len(digits) > 4 || (len(digits) > 1 && digits[0] == '0') {
		out := make([]string, 0, len(digits))
		for _, r := range digits {
			out = append(out, ones[r-'0'])
		}
		return out
	}
	return cardinal(n)
}

// cardinal spells 0 <= n < 10000.
func cardinal(n int) []string {
	if n < 20 {
		return []string{ones[n]}
	}
	var out []string
	if n >= 1000 {
		out = append(out, ones[n/1000], "thousand")
		n %= 1000
	}
	if n >= 100 {
		out = append(out, ones[n/100], "hundred")
		n %= 100
	}
	switch {
	case n == 0:
	case n < 20:
		out = append(out, ones[n])
	default:
		out = append(out, tens[n/10])
		if n%10 != 0 {
			out = append(out, ones[n%10])
		}
	}
	return out
}
