package rag

import (
	"strings"
	"unicode"

	"github.com/kljensen/snowball/english"
)

// stopWords are dropped before stemming: function words, and the question
// and courtesy words every customer question carries ("how", "can",
// "please") that say nothing about the topic.
var stopWords = toSet(`a about above after again against all am an and any are as at be because
	been before being below between both but by can could did do does doing down during each few
	for from further had has have having he her here hers herself him himself his how i if in into
	is it its itself just me more most my myself no nor not now of off on once only or other our
	ours ourselves out over own same she should so some such than that the their theirs them
	themselves then there these they this those through to too under until up very was we were
	what when where which while who whom why will with would you your yours yourself yourselves
	s t d ll m re ve don didn doesn isn aren wasn weren won wouldn couldn shouldn hasn haven
	also get got want wanna need please tell let know much many us ok okay hi hello thanks thank
	may might must shall one anything something someone anyone way like`)

// synonymGroups are generic customer-service words that mean the same
// thing for retrieval. Every word of a group indexes and queries as the
// group's first word.
var synonymGroups = [][]string{
	{"price", "cost", "charge", "fee", "tariff", "rate", "pricing", "expensive", "cheap"},
	{"cancel", "cancellation", "terminate", "termination", "quit"},
	{"move", "moving", "relocate", "relocation"},
	{"address", "location", "located", "situated"},
	{"phone", "telephone", "hotline", "phoneline"},
	{"email", "mail"},
	{"bill", "invoice", "billing"},
	{"pay", "payment", "paying"},
	{"emergency", "urgent", "urgently"},
	{"outage", "blackout", "interruption"},
	{"contract", "agreement", "plan"},
	{"kwh", "kilowatt"},
	{"help", "support", "assistance", "assist"},
	{"contact", "reach"},
	{"customer", "client"},
	{"refund", "reimburse", "reimbursement"},
	{"open", "opening"},
}

// synonyms maps a stem to the stem of its group's first word.
var synonyms = buildSynonyms(synonymGroups)

func toSet(words string) map[string]bool {
	set := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return set
}

func buildSynonyms(groups [][]string) map[string]string {
	m := make(map[string]string)
	for _, g := range groups {
		canon := english.Stem(g[0], true)
		for _, w := range g {
			m[english.Stem(w, true)] = canon
		}
	}
	return m
}

// splitWords calls fn with each lower-cased run of letters and digits in
// text.
func splitWords(text string, fn func(word string)) {
	start := -1
	for i, r := range text {
		isWord := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case isWord && start < 0:
			start = i
		case !isWord && start >= 0:
			fn(strings.ToLower(text[start:i]))
			start = -1
		}
	}
	if start >= 0 {
		fn(strings.ToLower(text[start:]))
	}
}

// term maps one lower-case word to its index term: "" for a stop word,
// else its Snowball English stem, folded onto its synonym group.
func term(word string) string {
	if stopWords[word] {
		return ""
	}
	stem := english.Stem(word, true)
	if canon, ok := synonyms[stem]; ok {
		return canon
	}
	return stem
}

// termCache memoizes term for one index build; a corpus has a few
// thousand distinct words but millions of occurrences. Not safe for
// concurrent use.
type termCache map[string]string

func (c termCache) term(word string) string {
	if t, ok := c[word]; ok {
		return t
	}
	t := term(word)
	c[strings.Clone(word)] = t
	return t
}

// queryTerms returns the distinct index terms of a query, in order of
// first appearance.
func queryTerms(query string) []string {
	var out []string
	splitWords(query, func(w string) {
		t := term(w)
		if t == "" {
			return
		}
		for _, seen := range out {
			if seen == t {
				return
			}
		}
		out = append(out, t)
	})
	return out
}
