package tts

import (
	"strings"
	"unicode"
)

// SanitizeText makes text safe to hand to a synthesizer, whether as a
// process argument or inside a JSON message: invalid UTF-8, control
// characters (newlines and escape sequences included) and the
// replacement character each become a space. It does not trim, so that
// pieces of a text written one after another keep the spaces between
// their words; callers speaking a whole text trim the result.
func SanitizeText(text string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(text, " "))
}
