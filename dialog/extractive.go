package dialog

import (
	"strings"
	"unicode"

	"github.com/voiced/voiced/rag"
)

// dontKnow is the honest answer when the knowledge base has nothing.
const dontKnow = "I'm sorry, I don't know that. " +
	"I can connect you with a person from our team if you like."

// extractivePassages is how many of the best passages are searched for
// answer sentences.
const extractivePassages = 3

// extractive answers without a model: it picks the sentence of the best
// passages that shares the most content words with the question, adds the
// passage's second best matching sentence if there is one, and delivers
// them in document order, one sentence per delta. With nothing matching it
// says it does not know.
//
// Token counts are estimates: four tokens for every three words, the usual
// ratio for English text, over the question and the passages searched
// (prompt) and the answer (completion).
func (e *Engine) extractive(question string, passages []rag.Passage, out *output) (answer, error) {
	if len(passages) > extractivePassages {
		passages = passages[:extractivePassages]
	}
	sentences, used := pickSentences(question, passages)
	if len(sentences) == 0 {
		sentences, used = []string{dontKnow}, nil
	}

	a := answer{mode: ModeExtractive, finish: "stop", passages: used,
		promptTokens: approxTokens(question)}
	for _, p := range passages {
		a.promptTokens += approxTokens(p.Text)
	}
	for i, s := range sentences {
		if i > 0 {
			s = " " + s
		}
		if err := out.emit(s); err != nil {
			return answer{}, err
		}
	}
	a.text, a.firstToken = out.text, out.firstToken
	a.completionTokens = approxTokens(a.text)
	return a, nil
}

// scored is a candidate answer sentence.
type scored struct {
	text    string
	passage int
	pos     int
	score   int
}

// pickSentences returns up to two sentences of one passage, in document
// order, and that passage; nothing when no sentence shares a content word
// with the question.
func pickSentences(question string, passages []rag.Passage) ([]string, []rag.Passage) {
	want := map[string]bool{}
	for _, w := range contentWords(question) {
		want[stem(w)] = true
	}

	var cands []scored
	best := -1
	for pi, p := range passages {
		for si, s := range splitSentences(p.Text) {
			c := scored{text: s, passage: pi, pos: si, score: overlap(want, s)}
			if c.score == 0 || strings.HasPrefix(s, "#") {
				continue
			}
			cands = append(cands, c)
			if best < 0 || c.score > cands[best].score {
				best = len(cands) - 1
			}
		}
	}
	if best < 0 {
		return nil, nil
	}

	first := cands[best]
	second := -1
	for i, c := range cands {
		if i != best && c.passage == first.passage && (second < 0 || c.score > cands[second].score) {
			second = i
		}
	}
	picked := []scored{first}
	if second >= 0 {
		picked = append(picked, cands[second])
		if cands[second].pos < first.pos {
			picked[0], picked[1] = picked[1], picked[0]
		}
	}
	out := make([]string, len(picked))
	for i, c := range picked {
		out[i] = strings.TrimLeft(c.text, "-*• ")
	}
	return out, passages[first.passage : first.passage+1]
}

// splitSentences cuts a whole text with the streaming splitter.
func splitSentences(text string) []string {
	var s Splitter
	out := s.Push(text)
	if rest := s.Flush(); rest != "" {
		out = append(out, rest)
	}
	return out
}

// overlap counts the distinct wanted stems in s.
func overlap(want map[string]bool, s string) int {
	seen := map[string]bool{}
	for _, w := range contentWords(s) {
		if st := stem(w); want[st] && !seen[st] {
			seen[st] = true
		}
	}
	return len(seen)
}

// contentWords returns the distinct lowercase words of s that are not stop
// words, in order of appearance.
func contentWords(s string) []string {
	var out []string
	seen := map[string]bool{}
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range words {
		if stopWords[w] || seen[w] || (len(w) < 2 && !unicode.IsDigit(rune(w[0]))) {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

// stem strips the commonest English suffixes; enough to match "opens"
// with "open" and "parking" with "park".
func stem(w string) string {
	switch {
	case len(w) > 5 && strings.HasSuffix(w, "ing"):
		return w[:len(w)-3]
	case len(w) > 4 && strings.HasSuffix(w, "ed"):
		return w[:len(w)-2]
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}

// approxTokens estimates a text's token count from its words.
func approxTokens(s string) int {
	return (len(strings.Fields(s))*4 + 2) / 3
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again all also am an and any are as at
		be because been before being below between both but by can could did do does doing
		down during each few for from further had has have having he her here hers him his
		how i if in into is it its itself just me more most my no nor not now of off on
		once only or other our ours out over own same she should so some such than that
		the their them then there these they this those through to too under until up
		very was we were what when where which while who whom why will with would you
		your yours please tell know want like get got need much many there's what's
		i'm can't don't s t`) {
		m[w] = true
	}
	return m
}()
