package rag

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/voiced/voiced/rag/ragtest"
)

func TestParseMarkdown(t *testing.T) {
	src := "---\ntitle: Brightwater prices 2026\n---\n" +
		"# Price list\n\nIntro **text** with a [link](http://x).\n\n" +
		"## Prices\n\n### Gas\n\nGas costs 0.11 EUR\nper kWh.\n\n" +
		"- card\n- cash\n\n| Plan | Price |\n|---|---|\n| Basic | 0.32 |\n\n" +
		"## Contact\n\n```\ncall 0800\n```\n\nSetext\n------\n\nUnder setext.\n\n***\n"
	got, err := Parse("prices.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := Parsed{Title: "Brightwater prices 2026", Sections: []Section{
		{Heading: []string{"Price list"}, Paragraphs: []string{"Intro text with a link."}},
		{Heading: []string{"Price list", "Prices", "Gas"}, Paragraphs: []string{
			"Gas costs 0.11 EUR per kWh.", "card\ncash", "Plan | Price\nBasic | 0.32"}},
		{Heading: []string{"Price list", "Contact"}, Paragraphs: []string{"call 0800"}},
		{Heading: []string{"Price list", "Setext"}, Paragraphs: []string{"Under setext."}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
	if h := got.Sections[1].HeadingPath(); h != "Price list > Prices > Gas" {
		t.Errorf("heading path = %q, want %q", h, "Price list > Prices > Gas")
	}
}

func TestParseHTML(t *testing.T) {
	src := `<!doctype html><html><head><title>Brightwater FAQ</title>
		<style>p{color:red}</style><script>var x = "secret";</script></head>
		<body><nav><a href="/">Home</a> <a href="/faq">FAQ</a></nav>
		<h1>FAQ</h1><p>Welcome to the <b>FAQ</b>.</p>
		<h2>Opening hours</h2><ul><li>Mon-Fri 8-18</li><li>Sat 9-13</li></ul>
		<table><tr><th>Day</th><th>Hours</th></tr><tr><td>Sun</td><td>closed</td></tr></table>
		<h3>Holidays</h3><div>Closed on<br>public holidays.</div><pre>line 1
line 2</pre><script>alert(1)</script></body></html>`
	got, err := Parse("faq.html", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := Parsed{Title: "Brightwater FAQ", Sections: []Section{
		{Heading: []string{"FAQ"}, Paragraphs: []string{"Welcome to the FAQ."}},
		{Heading: []string{"FAQ", "Opening hours"}, Paragraphs: []string{
			"Mon-Fri 8-18", "Sat 9-13", "Day | Hours", "Sun | closed"}},
		{Heading: []string{"FAQ", "Opening hours", "Holidays"}, Paragraphs: []string{
			"Closed on public holidays.", "line 1\nline 2"}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
}

func TestParseText(t *testing.T) {
	got, err := Parse("/kb/notes.txt", []byte("\uFEFFFirst line\r\nstill first.\r\n\r\nSecond.\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Parsed{Title: "notes", Sections: []Section{
		{Paragraphs: []string{"First line still first.", "Second."}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	latin1 := []byte("Pr\xe9is \xe0 la carte \xe9t\xe9 \xe9l\xe9ctricit\xe9 \xe0 \xe9 \xe0")
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"image.png", []byte("\x89PNG"), ErrUnsupportedType},
		{"a.docx", []byte("PK"), ErrUnsupportedType},
		{"a.md", []byte("text\x00more"), ErrBinary},
		{"a.txt", latin1, ErrBinary},
		{"a.txt", []byte(" \n\t\n"), ErrEmpty},
		{"a.md", nil, ErrEmpty},
		{"a.md", []byte("# Only a heading\n"), ErrNoText},
		{"a.html", []byte("<script>x()</script><nav>menu</nav>"), ErrNoText},
		{"a.pdf", []byte("\x00\x01\x02binary"), ErrBinary},
		{"a.pdf", ragtest.PDF(""), ErrNoText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.name, tt.data)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseInvalidPDF(t *testing.T) {
	_, err := Parse("broken.pdf", []byte("%PDF-1.4\nnot really a pdf\n"))
	if err == nil || !strings.Contains(err.Error(), "broken.pdf") {
		t.Errorf("got %v, want an error naming broken.pdf", err)
	}
}

func TestParsePDF(t *testing.T) {
	got, err := Parse("leaflet.pdf", ragtest.PDF("Our opening hours are 8 to 18.", "Call 0800 555 0199."))
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Brightwater leaflet" {
		t.Errorf("title = %q, want %q", got.Title, "Brightwater leaflet")
	}
	text := strings.Join(got.Sections[0].Paragraphs, " ")
	for _, want := range []string{"Our opening hours are 8 to 18.", "Call 0800 555 0199."} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q lacks %q", text, want)
		}
	}
}

func FuzzParseMarkdown(f *testing.F) {
	f.Add("# A\n\ntext\n\n## B\n- x\n- y\n\n| a | b |\n|---|---|\n")
	f.Add("---\ntitle: t\n---\n```\ncode\n")
	f.Add("Setext\n===\n\n> quote *em* [l](u)\n***\n")
	f.Fuzz(func(t *testing.T, src string) {
		fuzzParse(t, "f.md", src)
	})
}

func FuzzParseHTML(f *testing.F) {
	f.Add("<h1>A</h1><p>x<br>y</p><table><tr><td>1</td></tr></table>")
	f.Add("<pre>a\nb</pre><script>x</script><h3>deep</h3>text")
	f.Fuzz(func(t *testing.T, src string) {
		fuzzParse(t, "f.html", src)
	})
}

// fuzzParse checks the parser's promises: no panic, and on success a
// document whose sections all hold non-blank paragraphs.
func fuzzParse(t *testing.T, name, src string) {
	doc, err := Parse(name, []byte(src))
	if err != nil {
		return
	}
	if doc.Title == "" || len(doc.Sections) == 0 {
		t.Fatalf("parse %q: got %#v, want a title and sections", src, doc)
	}
	for _, s := range doc.Sections {
		for _, p := range s.Paragraphs {
			if strings.TrimSpace(p) == "" {
				t.Fatalf("parse %q: blank paragraph in %#v", src, s)
			}
		}
	}
	for _, c := range ChunkDocument(doc, ChunkConfig{Target: 50, Max: 80}) {
		if n := len([]rune(c.Text)); n > 80 {
			t.Fatalf("chunk of %d runes, want <= 80", n)
		}
	}
}
