package rag

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ledongthuc/pdf"
)

// parsePDF extracts the text layer of a PDF page by page. Text PDFs have
// no reliable structure, so the document becomes one section whose
// paragraphs are the runs of lines between blank lines; the chunker splits
// long ones at sentence ends. A PDF whose pages carry no text (a scan) is
// ErrNoText.
func parsePDF(data []byte) (doc Parsed, err error) {
	if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("%PDF-")) {
		if checkText(data) != nil {
			return Parsed{}, fmt.Errorf("%w: no PDF header", ErrBinary)
		}
		return Parsed{}, fmt.Errorf("read pdf: no PDF header")
	}
	// The PDF reader panics on some malformed files; a bad file must
	// fail alone, not take the ingestion down.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("read pdf: malformed file: %v", r)
		}
	}()

	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Parsed{}, fmt.Errorf("read pdf: %w", err)
	}
	var b sectionBuilder
	fonts := make(map[string]*pdf.Font)
	for i := 1; i <= r.NumPage(); i++ {
		page := r.Page(i)
		for _, name := range page.Fonts() {
			if _, ok := fonts[name]; !ok {
				f := page.Font(name)
				fonts[name] = &f
			}
		}
		text, err := page.GetPlainText(fonts)
		if err != nil {
			return Parsed{}, fmt.Errorf("read pdf page %d: %w", i, err)
		}
		addPDFParagraphs(&b, text)
	}

	doc = Parsed{Title: pdfTitle(r), Sections: b.done()}
	if len(doc.Sections) == 0 {
		return Parsed{}, fmt.Errorf("%d pages without a text layer: %w", r.NumPage(), ErrNoText)
	}
	return doc, nil
}

// addPDFParagraphs splits a page's text into paragraphs at blank lines.
func addPDFParagraphs(b *sectionBuilder, text string) {
	var lines []string
	for _, line := range strings.Split(normalizeNewlines(text), "\n") {
		line = collapseSpace(line)
		if line == "" {
			b.paragraph(strings.Join(lines, " "))
			lines = lines[:0]
			continue
		}
		lines = append(lines, line)
	}
	b.paragraph(strings.Join(lines, " "))
}

// pdfTitle returns the document information title, if any.
func pdfTitle(r *pdf.Reader) string {
	title := r.Trailer().Key("Info").Key("Title")
	if title.Kind() != pdf.String {
		return ""
	}
	return collapseSpace(title.Text())
}
