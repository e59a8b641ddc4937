package sphinx

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		text string
		want []string // sentences, words separated by spaces
	}{
		{
			"# Opening hours\n\nOpen Monday to Friday from 8:00 to 18:00. Closed on Sundays.",
			[]string{"opening hours", "open monday to friday from eight to eighteen", "closed on sundays"},
		},
		{
			"It costs 0.32 EUR per kilowatt hour (kWh).",
			[]string{"it costs zero thirty two euros per kilowatt hour kilowatt hours"},
		},
		{
			"Write to service@brightwater.example; we answer!",
			[]string{"write to service brightwater example", "we answer"},
		},
		{
			"Harbour Street 12, 4410 Riverside, line 0800 555 0112",
			[]string{"harbour street twelve four thousand four hundred ten riverside line " +
				"zero eight zero zero five hundred fifty five zero one one two"},
		},
		{"- Don't use light switches", []string{"don't use light switches"}},
		{"§§ --- ???", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, s := range sentences(tt.text) {
			got = append(got, strings.Join(s, " "))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("sentences(%q):\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
}

func TestNumberWords(t *testing.T) {
	tests := []struct {
		digits, want string
	}{
		{"0", "zero"},
		{"7", "seven"},
		{"14", "fourteen"},
		{"40", "forty"},
		{"99", "ninety nine"},
		{"100", "one hundred"},
		{"555", "five hundred fifty five"},
		{"2024", "two thousand twenty four"},
		{"9000", "nine thousand"},
		{"0800", "zero eight zero zero"},
		{"12345", "one two three four five"},
	}
	for _, tt := range tests {
		if got := strings.Join(numberWords(tt.digits), " "); got != tt.want {
			t.Errorf("numberWords(%q): got %q, want %q", tt.digits, got, tt.want)
		}
	}
}

func TestCompound(t *testing.T) {
	lex := map[string]string{
		"bright": "B R AY T", "water": "W AO T ER", "brig": "B R IH G",
		"east": "IY S T", "brook": "B R UH K", "ter": "T ER",
	}
	tests := []struct {
		word, want string
		ok         bool
	}{
		{"brightwater", "B R AY T W AO T ER", true},
		{"eastbrook", "IY S T B R UH K", true},
		{"brightly", "", false},
		{"water", "", false},
	}
	for _, tt := range tests {
		got, ok := compound(lex, tt.word)
		if got != tt.want || ok != tt.ok {
			t.Errorf("compound(%q): got %q, %v; want %q, %v", tt.word, got, ok, tt.want, tt.ok)
		}
	}
}

var testSentences = [][]string{
	{"the", "gas", "line", "is", "open"},
	{"the", "office", "is", "open", "on", "saturday"},
	{"call", "the", "gas", "line"},
	{"the", "office", "is", "closed"},
}

// TestEstimateNormalized checks that every history's distribution sums to
// one, for histories seen in training and not.
func TestEstimateNormalized(t *testing.T) {
	m := estimate(testSentences, lmOrder)
	histories := [][]string{
		{}, {"the"}, {"<s>"}, {"the", "gas"}, {"<s>", "the"},
		{"is", "open"}, {"open", "the"}, {"saturday", "saturday"},
	}
	for _, h := range histories {
		var sum float64
		for _, w := range m.vocab {
			sum += m.prob(append(slices.Clone(h), w))
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("history %q: got probabilities summing to %v, want 1", h, sum)
		}
	}
}

// arpaLookup reads an ARPA file into its probabilities and back-off
// weights (log10), keyed by n-gram.
func arpaLookup(t *testing.T, b []byte) (probs, bows map[string]float64) {
	t.Helper()
	probs, bows = map[string]float64{}, map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 2 {
			continue
		}
		p, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatalf("bad ARPA line %q", sc.Text())
		}
		probs[f[1]] = p
		if len(f) == 3 {
			if bows[f[1]], err = strconv.ParseFloat(f[2], 64); err != nil {
				t.Fatalf("bad ARPA line %q", sc.Text())
			}
		}
	}
	return probs, bows
}

// arpaProb is the back-off probability (log10) of words, as a decoder
// computes it from the file.
func arpaProb(probs, bows map[string]float64, words []string) float64 {
	if p, ok := probs[strings.Join(words, " ")]; ok {
		return p
	}
	return bows[strings.Join(words[:len(words)-1], " ")] + arpaProb(probs, bows, words[1:])
}

// TestARPAMatchesModel checks that the written back-off model gives every
// trigram the probability of the interpolated one.
func TestARPAMatchesModel(t *testing.T) {
	m := estimate(testSentences, lmOrder)
	var buf bytes.Buffer
	if err := m.writeARPA(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\\data\\\nngram 1=")) ||
		!bytes.HasSuffix(buf.Bytes(), []byte("\\end\\\n")) {
		t.Fatalf("got a file without ARPA's header or end:\n%s", buf.String())
	}
	probs, bows := arpaLookup(t, buf.Bytes())

	contexts := append([]string{"<s>"}, m.vocab...)
	for _, u := range contexts {
		for _, v := range m.vocab {
			for _, w := range m.vocab {
				g := []string{u, v, w}
				got := arpaProb(probs, bows, g)
				want := math.Log10(m.prob(g))
				if math.Abs(got-want) > 1e-5 {
					t.Fatalf("p(%s | %s %s): got %.6f from the file, want %.6f", w, u, v, got, want)
				}
			}
		}
	}
}

func TestBuildLM(t *testing.T) {
	dict := filepath.Join(t.TempDir(), "test.dict")
	lexicon := "bright B R AY T\nwater W AO T ER\ncall K AO L\ncall(2) K AA L\n" +
		"the DH AH\nline L AY N\nus AH S\n"
	if err := os.WriteFile(dict, []byte(lexicon), 0o644); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	m, err := buildLM(&buf, []string{"Call Brightwater, call the xylophone line.", "Call us"}, dict)
	if err != nil {
		t.Fatal(err)
	}
	if want := []newWord{{"brightwater", "B R AY T W AO T ER"}}; !slices.Equal(m.added, want) {
		t.Errorf("got added words %v, want %v", m.added, want)
	}
	if m.words != 7 {
		t.Errorf("got %d corpus words, want 7", m.words)
	}
	probs, _ := arpaLookup(t, buf.Bytes())
	// The unknown word ends a sentence instead of joining its neighbours.
	for _, g := range []string{"call brightwater", "the </s>", "<s> line", "<s> call us"} {
		if _, ok := probs[g]; !ok {
			t.Errorf("model lacks %q", g)
		}
	}
	if _, ok := probs["the line"]; ok {
		t.Error("got the bigram the line across an unknown word")
	}

	if _, err := buildLM(&buf, []string{"xylophone!"}, dict); !errors.Is(err, ErrEmptyCorpus) {
		t.Errorf("corpus of unknown words: got %v, want ErrEmptyCorpus", err)
	}
	if _, err := buildLM(&buf, []string{"call"}, "/nonexistent.dict"); !errors.Is(err, ErrModelMissing) {
		t.Errorf("missing dictionary: got %v, want ErrModelMissing", err)
	}
}
