package rag

import (
	"strings"
)

// parseText reads plain text: paragraphs are separated by blank lines and
// the lines of one paragraph are joined with spaces. Plain text has no
// title or headings of its own.
func parseText(data []byte) (Parsed, error) {
	var b sectionBuilder
	var lines []string
	for _, line := range strings.Split(normalizeNewlines(string(data)), "\n") {
		if strings.TrimSpace(line) == "" {
			b.paragraph(strings.Join(lines, " "))
			lines = lines[:0]
			continue
		}
		lines = append(lines, strings.TrimSpace(line))
	}
	b.paragraph(strings.Join(lines, " "))
	return Parsed{Sections: b.done()}, nil
}

// normalizeNewlines turns CRLF and lone CR line ends into LF.
func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}
