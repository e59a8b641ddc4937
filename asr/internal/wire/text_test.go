package wire

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, raw, text, lang string
	}{
		{"prefix", "language English<asr_text>Hello.", "Hello.", "English"},
		{"empty audio", "language None<asr_text>", "", ""},
		{"no prefix", "Hello there.", "Hello there.", ""},
		{"empty", "", "", ""},
		{"anything before the first tag", "garbage<asr_text>Hi", "Hi", ""},
		{"strip up to the last tag", "language English<asr_text><asr_text>Hi", "Hi", "English"},
		{"segment leak", "language English<asr_text>Hello there.\nlanguage English<asr_text>How are you?",
			"Hello there. How are you?", "English"},
		{"segment leak no newline", "language German<asr_text>Hallo.language German<asr_text>Wie geht's?",
			"Hallo. Wie geht's?", "German"},
		{"silent segment keeps language", "language English<asr_text>Yes.\nlanguage None<asr_text>",
			"Yes.", "English"},
		{"word language in text", "language English<asr_text>Which language do you speak?",
			"Which language do you speak?", "English"},
		{"trailing newline", "language English<asr_text>Hello.\n", "Hello.", "English"},
		{"chinese", "language Chinese<asr_text>你好。", "你好。", "Chinese"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, lang := Clean(tt.raw)
			if text != tt.text || lang != tt.lang {
				t.Errorf("Clean(%q) = %q, %q; want %q, %q", tt.raw, text, lang, tt.text, tt.lang)
			}
		})
	}
}

func TestStream(t *testing.T) {
	tests := []struct {
		name     string
		deltas   []string
		partials []string // what each Add returns
		text     string
		lang     string
	}{
		{
			name:     "prefix split across deltas",
			deltas:   []string{"language", " English", "<asr", "_text>", "Hello", " there."},
			partials: []string{"", "", "", "", "Hello", "Hello there."},
			text:     "Hello there.", lang: "English",
		},
		{
			name:     "tag split mid-word",
			deltas:   []string{"lang", "uage Eng", "lish<", "asr_te", "xt>Hi"},
			partials: []string{"", "", "", "", "Hi"},
			text:     "Hi", lang: "English",
		},
		{
			name:     "leaked prefix in the second segment",
			deltas:   []string{"language English<asr_text>One.", "\n", "language", " English", "<asr_text>", "Two."},
			partials: []string{"One.", "One.", "One.", "One.", "One.", "One. Two."},
			text:     "One. Two.", lang: "English",
		},
		{
			name:     "empty audio",
			deltas:   []string{"language None", "<asr_text>"},
			partials: []string{"", ""},
			text:     "", lang: "",
		},
		{
			name:     "text ending in the word language",
			deltas:   []string{"language English<asr_text>A new language", " and more"},
			partials: []string{"A new", "A new language and more"},
			text:     "A new language and more", lang: "English",
		},
		{
			name:     "server without prefixes",
			deltas:   []string{"Good", " morning"},
			partials: []string{"Good", "Good morning"},
			text:     "Good morning", lang: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Stream
			for i, d := range tt.deltas {
				got, _ := s.Add(d)
				if got != tt.partials[i] {
					t.Errorf("Add(%q) = %q, want %q", d, got, tt.partials[i])
				}
				if strings.Contains(got, "<") || strings.HasPrefix(got, "language") {
					t.Errorf("Add(%q) = %q leaks the prefix", d, got)
				}
			}
			text, lang := s.Result()
			if text != tt.text || lang != tt.lang {
				t.Errorf("Result() = %q, %q; want %q, %q", text, lang, tt.text, tt.lang)
			}
		})
	}
}

func TestStreamChanged(t *testing.T) {
	var s Stream
	steps := []struct {
		delta   string
		changed bool
	}{{"language", false}, {" English<asr_text>", false}, {"Hi", true}, {"", false}, {"!", true}}
	for _, st := range steps {
		if _, changed := s.Add(st.delta); changed != st.changed {
			t.Errorf("Add(%q) changed = %v, want %v", st.delta, changed, st.changed)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, seed := range []string{"language English<asr_text>Hello.", "language None<asr_text>",
		"a\nlanguage X<asr_text>b", "<asr", "language", "<asr_text><asr_text>", "lánguage é<asr_text>"} {
		f.Add(seed, uint(3))
	}
	f.Fuzz(func(t *testing.T, raw string, cut uint) {
		text, _ := Clean(raw)
		if strings.Contains(text, tag) {
			t.Errorf("Clean(%q) = %q still holds the tag", raw, text)
		}
		var s Stream
		at := int(cut % uint(len(raw)+1))
		s.Add(raw[:at])
		s.Add(raw[at:])
		if got, _ := s.Result(); got != text {
			t.Errorf("stream of %q = %q, Clean = %q", raw, got, text)
		}
	})
}
