package wire

import "strings"

// languages maps ISO 639 codes to the English names Qwen3-ASR uses in its
// "language X" prefix and mlx-audio takes as its language field.
var languages = map[string]string{
	"ar": "Arabic", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek",
	"en": "English", "es": "Spanish", "fa": "Persian", "fi": "Finnish",
	"fil": "Filipino", "fr": "French", "hi": "Hindi", "hu": "Hungarian",
	"id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean",
	"mk": "Macedonian", "ms": "Malay", "nl": "Dutch", "pl": "Polish",
	"pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish",
	"th": "Thai", "tr": "Turkish", "vi": "Vietnamese", "yue": "Cantonese",
	"zh": "Chinese",
}

// LanguageCode normalizes a language to its ISO 639 code: "en-US" and
// "English" both give "en". A language it does not know is returned
// trimmed and lowercased.
func LanguageCode(lang string) string {
	lang = strings.TrimSpace(lang)
	for code, name := range languages {
		if strings.EqualFold(lang, name) {
			return code
		}
	}
	code, _, _ := strings.Cut(strings.ToLower(lang), "-")
	code, _, _ = strings.Cut(code, "_")
	return code
}

// LanguageName returns the English name of a language given as a code or a
// name ("en", "en-US", "english" give "English"); a language it does not
// know is returned as given.
func LanguageName(lang string) string {
	if name, ok := languages[LanguageCode(lang)]; ok {
		return name
	}
	return strings.TrimSpace(lang)
}
