package qwen

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/voiced/voiced/tts"
)

// languageNames maps the primary subtags of Qwen3-TTS's ten languages to
// the names it takes (protocols.md 2: full names, not ISO codes).
var languageNames = map[string]string{
	"zh": "Chinese", "en": "English", "ja": "Japanese", "ko": "Korean", "de": "German",
	"fr": "French", "ru": "Russian", "pt": "Portuguese", "es": "Spanish", "it": "Italian",
}

// languages resolves the language of a request to the name sent.
type languages struct {
	byTag  map[string]string // lower-cased tag or subtag to name
	byName map[string]string // lower-cased name to name as sent
}

func newLanguages(extra map[string]string) languages {
	l := languages{byTag: make(map[string]string), byName: map[string]string{"auto": "Auto"}}
	for _, m := range []map[string]string{languageNames, extra} {
		for tag, name := range m {
			l.byTag[normalizeTag(tag)] = name
			l.byName[strings.ToLower(name)] = name
		}
	}
	return l
}

func normalizeTag(tag string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
}

// name returns the language name for a BCP 47 tag: the whole tag if
// mapped ("zh-hk" may be), else the tag less its last subtags one by one;
// a language name itself ("German", "auto") is taken as is.
func (l languages) name(tag string) (string, error) {
	t := normalizeTag(tag)
	if name, ok := l.byName[t]; ok {
		return name, nil
	}
	for t != "" {
		if name, ok := l.byTag[t]; ok {
			return name, nil
		}
		i := strings.LastIndexByte(t, '-')
		if i < 0 {
			break
		}
		t = t[:i]
	}
	return "", fmt.Errorf("qwen: language %q: %w", tag, tts.ErrUnsupportedLanguage)
}

// speech is what one synthesis asks for, before it is put in a server's
// field names.
type speech struct {
	text     string
	voice    string
	language string
}

// prepare validates req and fills in the defaults.
func (s *client) prepare(req tts.Request, needText bool) (speech, error) {
	if len(req.Text) > s.cfg.MaxTextBytes {
		return speech{}, fmt.Errorf("qwen: %d bytes of text, at most %d: %w", len(req.Text),
			s.cfg.MaxTextBytes, tts.ErrTextTooLong)
	}
	sp := speech{text: strings.TrimSpace(tts.SanitizeText(req.Text)),
		voice: strings.ToLower(cmp.Or(req.Voice, s.cfg.Voice)), language: s.language}
	if needText && sp.text == "" {
		return speech{}, fmt.Errorf("qwen: %w", tts.ErrEmptyText)
	}
	if req.Language != "" {
		var err error
		if sp.language, err = s.langs.name(req.Language); err != nil {
			return speech{}, err
		}
	}
	return sp, nil
}

// restBody is the JSON body of POST /v1/audio/speech. It is the request
// protocols.md 2a calls portable: response_format pcm with stream true
// and stream_format audio gets raw PCM from older servers, and raw PCM
// or SSE from newer ones. speed is left out: it must be 1.0 when
// streaming, which is the default.
func (s *client) restBody(sp speech) ([]byte, error) {
	body := map[string]any{
		"input":           sp.text,
		"voice":           sp.voice,
		"response_format": "pcm",
		"stream":          true,
	}
	if s.cfg.Model != "" {
		body["model"] = s.cfg.Model
	}
	// mlx-audio names two fields differently (protocols.md 2c) and has no
	// stream_format: each chunk it streams is already raw PCM.
	if s.cfg.Server == MLXAudio {
		body["lang_code"] = sp.language
		if s.cfg.Instructions != "" {
			body["instruct"] = s.cfg.Instructions
		}
	} else {
		body["language"] = sp.language
		body["stream_format"] = "audio"
		if s.cfg.Instructions != "" {
			body["instructions"] = s.cfg.Instructions
		}
	}
	return json.Marshal(body)
}
