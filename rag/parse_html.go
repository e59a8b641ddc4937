package rag

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlSkipped are elements whose content is never document text.
var htmlSkipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Nav: true, atom.Noscript: true,
	atom.Template: true, atom.Svg: true, atom.Head: true, atom.Iframe: true,
	atom.Button: true, atom.Select: true, atom.Form: true,
}

// htmlBlocks end the paragraph before them and after them.
var htmlBlocks = map[atom.Atom]bool{
	atom.P: true, atom.Li: true, atom.Tr: true, atom.Pre: true, atom.Div: true,
	atom.Section: true, atom.Article: true, atom.Main: true, atom.Blockquote: true,
	atom.Dd: true, atom.Dt: true, atom.Figcaption: true, atom.Table: true, atom.Ul: true,
	atom.Ol: true, atom.Dl: true, atom.Header: true, atom.Footer: true, atom.Aside: true,
	atom.Address: true, atom.Caption: true, atom.Hr: true,
}

var htmlHeadings = map[atom.Atom]int{
	atom.H1: 1, atom.H2: 2, atom.H3: 3, atom.H4: 4, atom.H5: 5, atom.H6: 6,
}

// htmlParser holds the state of one HTML parse.
type htmlParser struct {
	b     sectionBuilder
	title string
	h1    string
	text  strings.Builder // the open paragraph
}

// parseHTML reads an HTML page: h1-h6 build the heading path, block
// elements (p, li, table rows, pre, ...) become paragraphs, table cells of
// a row are joined with " | ", and script, style, nav and form controls
// are skipped. The title is the <title>, else the first h1.
func parseHTML(data []byte) (Parsed, error) {
	root, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return Parsed{}, fmt.Errorf("parse html: %w", err)
	}

	p := &htmlParser{}
	if t := findElement(root, atom.Title); t != nil {
		p.title = collapseSpace(nodeText(t))
	}
	p.walk(root)
	p.flush()
	if p.title == "" {
		p.title = p.h1
	}
	return Parsed{Title: p.title, Sections: p.b.done()}, nil
}

func (p *htmlParser) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		p.text.WriteString(n.Data)
		return
	case html.ElementNode:
		if htmlSkipped[n.DataAtom] {
			return
		}
		if level, ok := htmlHeadings[n.DataAtom]; ok {
			p.heading(level, collapseSpace(nodeText(n)))
			return
		}
		if n.DataAtom == atom.Pre {
			p.flush()
			p.b.paragraph(nodeText(n))
			return
		}
	}

	block := n.Type == html.ElementNode && htmlBlocks[n.DataAtom]
	if block {
		p.flush()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		p.walk(c)
		if c.Type == html.ElementNode && (c.DataAtom == atom.Td || c.DataAtom == atom.Th) &&
			c.NextSibling != nil {
			p.text.WriteString(" | ")
		}
	}
	if block {
		p.flush()
	}
	if n.Type == html.ElementNode && n.DataAtom == atom.Br {
		p.text.WriteString(" ")
	}
}

func (p *htmlParser) heading(level int, text string) {
	p.flush()
	if text == "" {
		return
	}
	if level == 1 && p.h1 == "" {
		p.h1 = text
	}
	p.b.startHeading(level, text)
}

// flush closes the open paragraph.
func (p *htmlParser) flush() {
	p.b.paragraph(collapseSpace(p.text.String()))
	p.text.Reset()
}

// nodeText concatenates the text below n, skipping non-text elements.
func nodeText(n *html.Node) string {
	var sb strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		if n.Type == html.ElementNode && htmlSkipped[n.DataAtom] && n.DataAtom != atom.Head {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.Br {
			sb.WriteString("\n")
		}
	}
	walk(n)
	return sb.String()
}

// findElement returns the first element a below n, depth first.
func findElement(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if found := findElement(c, a); found != nil {
			return found
		}
	}
	return nil
}
