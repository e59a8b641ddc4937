package dialog

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var splitterCases = []struct {
	name string
	min  int
	in   string
	want []string
}{
	{"two sentences", 0, "Hello there. How are you?", []string{"Hello there.", "How are you?"}},
	{"exclamation and question", 0, "Stop! Really?! Yes.", []string{"Stop!", "Really?!", "Yes."}},
	{"no final punctuation", 0, "We open at nine", []string{"We open at nine"}},
	{"title abbreviations", 0, "Mr. and Mrs. Smith met Dr. Jones. Done.",
		[]string{"Mr. and Mrs. Smith met Dr. Jones.", "Done."}},
	{"street", 0, "We are at 5 Main St. near the park. Welcome.",
		[]string{"We are at 5 Main St. near the park.", "Welcome."}},
	{"e.g. and i.e.", 0, "Bring ID, e.g. a passport, i.e. something official. Thanks.",
		[]string{"Bring ID, e.g. a passport, i.e. something official.", "Thanks."}},
	{"etc. mid sentence", 0, "Gas, power etc. are billed monthly. Ok.",
		[]string{"Gas, power etc. are billed monthly.", "Ok."}},
	{"etc. at end", 0, "We sell gas, power etc. Call us.",
		[]string{"We sell gas, power etc.", "Call us."}},
	{"approx and No.", 0, "It costs approx. 20 euros, see No. 5 in the list. Bye.",
		[]string{"It costs approx. 20 euros, see No. 5 in the list.", "Bye."}},
	{"vs. and Inc.", 0, "Basic vs. premium at Acme Inc. is a choice. Fine.",
		[]string{"Basic vs. premium at Acme Inc. is a choice.", "Fine."}},
	{"Ltd. then capital", 0, "Write to Acme Ltd. They answer fast.",
		[]string{"Write to Acme Ltd.", "They answer fast."}},
	{"a.m. and p.m.", 0, "Open from 9 a.m. to 5 p.m. on weekdays. Closed Sundays.",
		[]string{"Open from 9 a.m. to 5 p.m. on weekdays.", "Closed Sundays."}},
	{"p.m. at end", 0, "We close at 5 p.m. See you.",
		[]string{"We close at 5 p.m.", "See you."}},
	{"initials", 0, "Ask J. Smith or A. B. Miller. They know.",
		[]string{"Ask J. Smith or A. B. Miller.", "They know."}},
	{"decimals", 0, "It costs 3.50 euros. Cheap.", []string{"It costs 3.50 euros.", "Cheap."}},
	{"thousands", 0, "We have 1.000.000 customers. Wow.",
		[]string{"We have 1.000.000 customers.", "Wow."}},
	{"version", 0, "Use version 2.1 or later. It works.",
		[]string{"Use version 2.1 or later.", "It works."}},
	{"url", 0, "See example.com/a.b for details. Or call.",
		[]string{"See example.com/a.b for details.", "Or call."}},
	{"url at sentence end", 0, "Visit www.example.com. Thanks.",
		[]string{"Visit www.example.com.", "Thanks."}},
	{"email", 0, "Mail a.b@c.de today. We reply.", []string{"Mail a.b@c.de today.", "We reply."}},
	{"ellipsis lowercase", 0, "Well... maybe not. Sure.", []string{"Well... maybe not.", "Sure."}},
	{"ellipsis capital", 0, "Wait... Now go.", []string{"Wait...", "Now go."}},
	{"unicode ellipsis", 0, "Hmm… Yes.", []string{"Hmm…", "Yes."}},
	{"closing quote", 0, `He said "Hello." Then he left.`, []string{`He said "Hello."`, "Then he left."}},
	{"closing bracket", 0, "It works (mostly.) Try it.", []string{"It works (mostly.)", "Try it."}},
	{"newlines", 0, "First line\nSecond line\n\nThird", []string{"First line", "Second line", "Third"}},
	{"list items", 0, "Steps:\n1. Open the app\n2. Log in.\n- Done",
		[]string{"Steps:", "1. Open the app", "2. Log in.", "- Done"}},
	{"numbered step mid text", 0, "Go to step 3. Then stop.", []string{"Go to step 3.", "Then stop."}},
	{"surrounding whitespace", 0, "  Hi.   There.  ", []string{"Hi.", "There."}},
	{"first clause cut", 10,
		"Our office is open on weekdays, from nine in the morning until six. Bye now, friend.",
		[]string{"Our office is open on weekdays,", "from nine in the morning until six.", "Bye now, friend."}},
	{"first clause not needed", 30, "Short one, really. Next, please.",
		[]string{"Short one, really.", "Next, please."}},
	{"first clause dash", 8, "The hotline works – day and night, all week long. Yes.",
		[]string{"The hotline works –", "day and night, all week long.", "Yes."}},
}

func TestSplitterWhole(t *testing.T) {
	for _, tc := range splitterCases {
		t.Run(tc.name, func(t *testing.T) {
			s := Splitter{FirstClauseMin: tc.min}
			got := collect(&s, []string{tc.in})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSplitterCharByChar(t *testing.T) {
	for _, tc := range splitterCases {
		t.Run(tc.name, func(t *testing.T) {
			s := Splitter{FirstClauseMin: tc.min}
			var chunks []string
			for _, r := range tc.in {
				chunks = append(chunks, string(r))
			}
			if got := collect(&s, chunks); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSplitterRandomChunks(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, tc := range splitterCases {
		for try := 0; try < 20; try++ {
			chunks := randomChunks(rng, tc.in)
			s := Splitter{FirstClauseMin: tc.min}
			if got := collect(&s, chunks); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: chunks %q: got %q, want %q", tc.name, chunks, got, tc.want)
			}
		}
	}
}

func TestSplitterWaitsForFollowingChar(t *testing.T) {
	var s Splitter
	if got := s.Push("It costs 3."); len(got) != 0 {
		t.Fatalf("got %q after \"3.\", want nothing yet", got)
	}
	if got := s.Push("50 euros. "); !reflect.DeepEqual(got, []string{"It costs 3.50 euros."}) {
		t.Errorf("got %q, want the whole sentence", got)
	}
	if got := s.Flush(); got != "" {
		t.Errorf("got flush %q, want empty", got)
	}
}

// collect pushes chunks and flushes, returning every piece.
func collect(s *Splitter, chunks []string) []string {
	var out []string
	for _, c := range chunks {
		out = append(out, s.Push(c)...)
	}
	if rest := s.Flush(); rest != "" {
		out = append(out, rest)
	}
	return out
}

// randomChunks cuts s at random byte offsets that fall on rune starts.
func randomChunks(rng *rand.Rand, s string) []string {
	var chunks []string
	for len(s) > 0 {
		n := 1 + rng.Intn(8)
		for n < len(s) && !isRuneStart(s[n]) {
			n++
		}
		if n > len(s) {
			n = len(s)
		}
		chunks = append(chunks, s[:n])
		s = s[n:]
	}
	return chunks
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func FuzzSplitter(f *testing.F) {
	for _, tc := range splitterCases {
		f.Add(tc.in, 3, tc.min)
	}
	f.Add("a. b.\n\nc?! \"d.\" e… f", 1, 0)
	f.Fuzz(func(t *testing.T, in string, step, min int) {
		if step < 1 || step > 64 {
			step = 1 + (step%64+64)%64
		}
		if min < 0 || min > 200 {
			min = 0
		}
		s := Splitter{FirstClauseMin: min}
		var chunks []string
		for i := 0; i < len(in); i += step {
			chunks = append(chunks, in[i:min2(i+step, len(in))])
		}
		got := collect(&s, chunks)
		for _, p := range got {
			if p == "" || strings.TrimSpace(p) != p {
				t.Fatalf("piece %q is empty or untrimmed", p)
			}
		}
		if a, b := stripSpace(strings.Join(got, "")), stripSpace(in); a != b {
			t.Fatalf("got %q, want %q (whitespace removed)", a, b)
		}
	})
}

func min2(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// stripSpace removes whitespace, keeping invalid bytes as they are.
func stripSpace(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if !unicode.IsSpace(r) {
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}
