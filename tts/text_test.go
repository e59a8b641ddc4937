package tts

import "testing"

func TestSanitizeText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Hello there.", "Hello there."},
		{" two\nlines\t", " two lines "},
		{"esc\x1b[1mape", "esc [1mape"},
		{"nul\x00byte", "nul byte"},
		{"bad \xff utf-8", "bad   utf-8"},
		{"repl\ufffdchar", "repl char"},
		{"Grüße, 你好", "Grüße, 你好"},
		{"del\x7f", "del "},
	}
	for _, tt := range tests {
		if got := SanitizeText(tt.in); got != tt.want {
			t.Errorf("SanitizeText(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
