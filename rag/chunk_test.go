package rag

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestChunkDocumentPacksWithinSections(t *testing.T) {
	doc := Parsed{Sections: []Section{
		{Heading: []string{"Prices", "Gas"}, Paragraphs: []string{"Gas is 0.11 EUR.", "Standing charge 12.50 EUR."}},
		{Heading: []string{"Prices", "Power"}, Paragraphs: []string{"Power is 0.32 EUR."}},
	}}
	got := ChunkDocument(doc, ChunkConfig{})
	want := []TextChunk{
		{Heading: "Prices > Gas", Text: "Gas is 0.11 EUR.\n\nStanding charge 12.50 EUR."},
		{Heading: "Prices > Power", Text: "Power is 0.32 EUR."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestChunkSizeBounds(t *testing.T) {
	sentence := "The standing charge of 9.90 EUR per month covers the meter and the connection. "
	long := strings.Repeat(sentence, 60) // about 4800 characters
	noStops := strings.Repeat("word ", 700)
	paras := []string{long, noStops}
	for range 30 {
		paras = append(paras, strings.Repeat("Short paragraph text. ", 5))
	}
	doc := Parsed{Sections: []Section{{Heading: []string{"Big"}, Paragraphs: paras}}}

	tests := []ChunkConfig{{}, {Target: 300, Max: 500}, {Target: 100, Max: 60}}
	for _, cfg := range tests {
		eff := cfg.withDefaults()
		chunks := ChunkDocument(doc, cfg)
		var total int
		for i, c := range chunks {
			n := utf8.RuneCountInString(c.Text)
			if n > eff.Max {
				t.Errorf("cfg %+v: chunk %d has %d runes, want <= %d", cfg, i, n, eff.Max)
			}
			if c.Heading != "Big" {
				t.Errorf("cfg %+v: chunk %d heading = %q, want %q", cfg, i, c.Heading, "Big")
			}
			total += len(strings.Fields(c.Text))
		}
		if want := len(strings.Fields(strings.Join(paras, " "))); total != want {
			t.Errorf("cfg %+v: chunks hold %d words, want %d", cfg, total, want)
		}
		// With the default sizes the short paragraphs are packed, so there
		// are far fewer chunks than paragraphs.
		if cfg == (ChunkConfig{}) && len(chunks) >= len(paras)/2 {
			t.Errorf("cfg %+v: got %d chunks for %d paragraphs, want packing", cfg, len(chunks), len(paras))
		}
	}
}

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"It costs 0.32 EUR. Call us! Why? Because.", []string{"It costs 0.32 EUR.", "Call us!", "Why?", "Because."}},
		{"See e.g. the list. Done", []string{"See e.g. the list.", "Done"}},
		{"Line one\nLine two", []string{"Line one", "Line two"}},
	}
	for _, tt := range tests {
		if got := splitSentences(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitSentences(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitLongKeepsSentencesWhole(t *testing.T) {
	para := strings.Repeat("This sentence is exactly fifty characters long ok. ", 40)
	pieces := splitLong(strings.TrimSpace(para), ChunkConfig{Target: 200, Max: 400})
	for i, p := range pieces {
		if !strings.HasSuffix(p, "ok.") {
			t.Errorf("piece %d = %q, want it to end at a sentence end", i, p)
		}
		if n := len(p); n > 200 {
			t.Errorf("piece %d has %d characters, want <= 200", i, n)
		}
	}
}
