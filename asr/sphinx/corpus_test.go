package sphinx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Questions a caller might ask the demo tenant, Brightwater Utilities,
// whose knowledge base is configs/demo. None is a sentence of it.
var demoQuestions = []string{
	"What are your opening hours on Saturday",
	"What is the number of the gas emergency line",
	"How much does green electricity cost per kilowatt hour",
	"When should I send my meter reading",
	"Can I pay by direct debit",
	"How do I cancel my contract with Brightwater",
	"What is the notice period for my contract",
	"Where is your head office in Riverside",
	"What should I do if I smell gas",
	"How much is the standing charge for gas",
	"Do I need to read my smart meter",
	"I am moving house next month what do you need from me",
}

// Sentences outside the knowledge base, where biasing may only cost.
var offTopic = []string{
	"I would like to speak to a human please",
	"Can you repeat that more slowly",
	"My neighbor says the street lights are broken",
	"Thank you very much goodbye",
	"The weather is terrible today",
	"I lost my job and cannot afford the bills",
	"Could you send me a letter with all the details",
	"Is there anybody there who can help me",
}

// demoCorpus reads the demo tenant's knowledge base.
func demoCorpus(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../../configs/demo/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no demo knowledge base in configs/demo: %v", err)
	}
	var texts []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	return texts
}

// wordErrorRate decodes each sentence and scores the transcripts.
func wordErrorRate(t *testing.T, r *Recognizer, says []string) float64 {
	t.Helper()
	errs, words := 0, 0
	for _, say := range says {
		got := recognize(t, r, speak(t, say)).Text
		ref := normalize(say)
		e := wordErrors(ref, strings.Fields(got))
		errs += e
		words += len(ref)
		if e > 0 {
			t.Logf("  %d errors: %q heard as %q", e, strings.Join(ref, " "), got)
		}
	}
	return float64(errs) / float64(words)
}

// TestCorpusBias measures what Config.Corpus buys on the demo tenant's
// questions and costs elsewhere. Measured with flite's slt voice: generic
// 0.124 and 0.017, biased 0.052 and 0.033 (in domain, off topic).
func TestCorpusBias(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 40 utterances")
	}
	requireSphinx(t)
	requireFlite(t)

	generic := newRecognizer(t, Config{Decoders: 1})
	t.Log("generic language model:")
	genIn, genOff := wordErrorRate(t, generic, demoQuestions), wordErrorRate(t, generic, offTopic)
	generic.Close()

	biased := newRecognizer(t, Config{Decoders: 1, Corpus: demoCorpus(t)})
	t.Log("biased toward the knowledge base:")
	biasIn, biasOff := wordErrorRate(t, biased, demoQuestions), wordErrorRate(t, biased, offTopic)

	t.Logf("word error rate, in domain: generic %.3f, biased %.3f", genIn, biasIn)
	t.Logf("word error rate, off topic: generic %.3f, biased %.3f", genOff, biasOff)
	if biasIn >= genIn {
		t.Errorf("in domain: got biased %.3f, want below generic %.3f", biasIn, genIn)
	}
	if biasOff > genOff+0.05 {
		t.Errorf("off topic: got biased %.3f, want at most generic %.3f + 0.05", biasOff, genOff)
	}

	got := recognize(t, biased, speak(t, "How do I cancel my contract with Brightwater")).Text
	if missing := missingWords(got, "cancel", "contract", "brightwater"); len(missing) > 0 {
		t.Errorf("got %q, missing %q", got, missing)
	}
}

func TestWordErrors(t *testing.T) {
	tests := []struct {
		ref, hyp string
		want     int
	}{
		{"a b c", "a b c", 0},
		{"a b c", "a x c", 1},
		{"a b c", "a c", 1},
		{"a b c", "a b b c", 1},
		{"a b c", "", 3},
		{"", "a", 1},
		{"how do i cancel", "how do i can sell", 2},
	}
	for _, tt := range tests {
		if got := wordErrors(strings.Fields(tt.ref), strings.Fields(tt.hyp)); got != tt.want {
			t.Errorf("wordErrors(%q, %q): got %d, want %d", tt.ref, tt.hyp, got, tt.want)
		}
	}
}
