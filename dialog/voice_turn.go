package dialog

import (
	"strings"
	"time"
	"unicode"
)

// backchannels are what a listener says to show they follow, not to take
// the turn. Over the agent's speech they are ignored, and so are fillers.
var backchannels = wordSet("uh-huh uhhuh uh huh mm-hmm mmhmm mhm mm hmm hm okay ok k " +
	"yeah yep yes yup right alright all sure i see got it cool great fine good " +
	"aha ah oh wow really")

// fillers are sounds a speaker makes while looking for the next word.
var fillers = wordSet("um umm uh uhm er erm ah eh hmm mm like")

// joiners announce that the sentence goes on.
var joiners = wordSet("and or but so because cause then that which if when " +
	"to of the a an my is are with for in at from")

// numberWords are spoken digits and numbers, for spelled numbers.
var numberWords = wordSet("zero oh one two three four five six seven eight nine ten " +
	"eleven twelve twenty thirty forty fifty sixty seventy eighty ninety hundred " +
	"double triple dash")

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// words splits a transcript into lowercase words without punctuation,
// keeping inner hyphens and apostrophes ("uh-huh", "don't").
func words(text string) []string {
	f := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '\''
	})
	out := f[:0]
	for _, w := range f {
		if w = strings.Trim(w, "-'"); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// hasWords reports whether text says something beyond backchannels and
// fillers: whether, said over the agent, it is an interruption.
func hasWords(text string) bool {
	for _, w := range words(text) {
		if !backchannels[w] && !fillers[w] {
			return true
		}
	}
	return false
}

// endpointWait is how long the caller's silence must last, after the
// transcript so far, before their turn ends: short after a finished
// sentence, long when the last word promises more or a number is being
// spelled.
func endpointWait(text string, e Endpointing) time.Duration {
	ws := words(text)
	if len(ws) == 0 {
		return e.Default
	}
	last := ws[len(ws)-1]
	switch {
	case spellingNumber(ws):
		return e.Digits
	case fillers[last] || joiners[last]:
		return e.Incomplete
	case strings.HasSuffix(strings.TrimRight(text, ` "')`), "?"),
		strings.HasSuffix(strings.TrimRight(text, ` "')`), "."),
		strings.HasSuffix(strings.TrimRight(text, ` "')`), "!"):
		return e.Complete
	}
	return e.Default
}

// spellingNumber reports whether the transcript ends in a number being
// read out: two or more digits or number words in a row, or one after a
// word that announces a number ("my number is 0").
func spellingNumber(ws []string) bool {
	run := 0
	for i := len(ws) - 1; i >= 0 && isNumberWord(ws[i]); i-- {
		run++
	}
	return run >= 2 || (run == 1 && len(ws) >= 2 && numberCue(ws[len(ws)-2]))
}

// numberCue words announce a number: "my number is 0176...".
func numberCue(w string) bool {
	return w == "is" || w == "number" || w == "code" || w == "account"
}

func isNumberWord(w string) bool { return numberWords[w] || isDigits(w) }
