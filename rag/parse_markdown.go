package rag

import (
	"regexp"
	"strings"
)

var (
	mdHeading    = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	mdFence      = regexp.MustCompile("^ {0,3}(```|~~~)")
	mdListItem   = regexp.MustCompile(`^\s*(?:[-*+]|\d{1,9}[.)])\s+`)
	mdTableRule  = regexp.MustCompile(`^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$`)
	mdSetext     = regexp.MustCompile(`^ {0,3}(=+|-+)\s*$`)
	mdBreak      = regexp.MustCompile(`^ {0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$`)
	mdImage      = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLink       = regexp.MustCompile(`\[([^\]]+)\]\([^)]*\)`)
	mdEmphasis   = regexp.MustCompile(`(\*\*|__|\*|` + "`" + `)`)
	mdHTMLTag    = regexp.MustCompile(`<[^>]+>`)
	mdFrontTitle = regexp.MustCompile(`^title:\s*["']?(.*?)["']?\s*$`)
)

// mdParser holds the state of one Markdown parse.
type mdParser struct {
	b     sectionBuilder
	title string
	para  []string // lines of the open paragraph
	list  bool     // the open paragraph is a list or table
}

// parseMarkdown reads CommonMark-style Markdown: ATX (#) and setext
// headings build the heading path, fenced code is kept verbatim, lists and
// tables become one paragraph with a line per item or row, and inline
// markup (emphasis, links, images, tags) is reduced to its text. The title
// is the front matter's title, else the first level-1 heading.
func parseMarkdown(data []byte) (Parsed, error) {
	p := &mdParser{}
	lines := strings.Split(normalizeNewlines(string(data)), "\n")
	lines = p.frontMatter(lines)

	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case mdFence.MatchString(line):
			i = p.fence(lines, i)
		case mdHeading.MatchString(line):
			m := mdHeading.FindStringSubmatch(line)
			p.heading(len(m[1]), m[2])
		case strings.TrimSpace(line) == "":
			p.flush()
		case mdSetext.MatchString(line) && len(p.para) == 1 && !p.list:
			level := 1
			if strings.Contains(line, "-") {
				level = 2
			}
			text := p.para[0]
			p.para = nil
			p.heading(level, text)
		case mdBreak.MatchString(line):
			p.flush()
		case mdTableRule.MatchString(line) && p.list:
			// The rule under a table's header row carries no text.
		default:
			p.line(line)
		}
	}
	p.flush()
	return Parsed{Title: p.title, Sections: p.b.done()}, nil
}

// frontMatter skips a leading YAML front-matter block, keeping its title.
func (p *mdParser) frontMatter(lines []string) []string {
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		return lines
	}
	for i := 1; i < len(lines); i++ {
		if m := mdFrontTitle.FindStringSubmatch(lines[i]); m != nil && p.title == "" {
			p.title = m[1]
		}
		if strings.TrimSpace(lines[i]) == "---" {
			return lines[i+1:]
		}
	}
	return lines
}

// fence adds the fenced code block starting at lines[start] as one
// paragraph and returns the index of its closing line.
func (p *mdParser) fence(lines []string, start int) int {
	p.flush()
	marker := mdFence.FindStringSubmatch(lines[start])[1]
	var code []string
	i := start + 1
	for ; i < len(lines); i++ {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), marker) {
			break
		}
		code = append(code, lines[i])
	}
	p.b.paragraph(strings.Join(code, "\n"))
	return i
}

func (p *mdParser) heading(level int, text string) {
	p.flush()
	text = inlineText(text)
	if level == 1 && p.title == "" {
		p.title = text
	}
	if text != "" {
		p.b.startHeading(level, text)
	}
}

// line adds a line to the open paragraph. List items and table rows start
// lines of their own; other lines continue the previous one.
func (p *mdParser) line(line string) {
	trimmed := strings.TrimSpace(line)
	switch {
	case mdListItem.MatchString(line):
		p.list = p.list || len(p.para) == 0
		p.para = append(p.para, "\n"+inlineText(mdListItem.ReplaceAllString(line, "")))
	case strings.HasPrefix(trimmed, "|"):
		p.list = p.list || len(p.para) == 0
		cells := strings.Split(strings.Trim(trimmed, "|"), "|")
		for i := range cells {
			cells[i] = inlineText(cells[i])
		}
		p.para = append(p.para, "\n"+strings.Join(cells, " | "))
	case strings.HasPrefix(trimmed, ">"):
		p.para = append(p.para, inlineText(strings.TrimLeft(trimmed, "> ")))
	default:
		p.para = append(p.para, inlineText(trimmed))
	}
}

// flush closes the open paragraph.
func (p *mdParser) flush() {
	if len(p.para) > 0 {
		text := strings.Join(p.para, " ")
		text = strings.ReplaceAll(text, " \n", "\n")
		p.b.paragraph(text)
	}
	p.para, p.list = nil, false
}

// inlineText strips inline Markdown and HTML from one line.
func inlineText(s string) string {
	s = mdImage.ReplaceAllString(s, "$1")
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdHTMLTag.ReplaceAllString(s, "")
	s = mdEmphasis.ReplaceAllString(s, "")
	return collapseSpace(s)
}
