// Package espeak speaks with Debian's espeak-ng, run as a separate process
// for every request. It is the local backend for the languages flite
// lacks: about a hundred, robotic but intelligible, offline.
package espeak

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/voiced/voiced/tts"
)

// ErrNotInstalled is returned by New when the espeak-ng binary is missing.
var ErrNotInstalled = errors.New("espeak: binary not found (Debian package espeak-ng)")

// MaxTextBytes is the longest text one request may speak, a few minutes
// of speech; callers speak answers sentence by sentence.
const MaxTextBytes = 4000

// Config configures the espeak-ng backend.
type Config struct {
	// Binary is the espeak-ng executable: a name looked up on PATH or a
	// path. Empty means "espeak-ng".
	Binary string
	// Language is spoken when a Request names none: a BCP 47 tag such as
	// "de-DE", matched against espeak-ng's languages as Request.Language
	// is. Empty means "en-us".
	Language string
	// Variant is the default voice variant, one of those espeak-ng
	// --voices=variant lists ("f3", "klatt"). Empty means the language's
	// own voice.
	Variant string
	// Timeout bounds one synthesis; zero means 30 s.
	Timeout time.Duration
}

// Synthesizer runs espeak-ng for every request. It is safe for concurrent
// use; each request is its own process.
type Synthesizer struct {
	bin      string
	language string
	variant  string
	timeout  time.Duration
	langs    map[string]bool   // lower-cased language names espeak-ng knows
	variants map[string]string // lower-cased variant name to its file name
}

var _ tts.Synthesizer = (*Synthesizer)(nil)

// New finds the espeak-ng binary, asks it for its languages and variants
// and checks the configured ones.
func New(cfg Config) (*Synthesizer, error) {
	if cfg.Binary == "" {
		cfg.Binary = "espeak-ng"
	}
	if cfg.Language == "" {
		cfg.Language = "en-us"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}

	bin, err := exec.LookPath(cfg.Binary)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotInstalled, err)
	}
	s := &Synthesizer{bin: bin, timeout: cfg.Timeout}
	if s.langs, err = listLanguages(bin); err != nil {
		return nil, err
	}
	if s.variants, err = listVariants(bin); err != nil {
		return nil, err
	}
	if s.language, err = s.resolveLanguage(cfg.Language); err != nil {
		return nil, err
	}
	if s.variant, err = s.resolveVariant(cfg.Variant); err != nil {
		return nil, err
	}
	return s, nil
}

// Languages lists the language names espeak-ng knows, lower-cased and
// sorted.
func (s *Synthesizer) Languages() []string {
	return slices.Sorted(maps.Keys(s.langs))
}

// Variants lists the voice variants a Request may name, sorted.
func (s *Synthesizer) Variants() []string {
	out := make([]string, 0, len(s.variants))
	for _, v := range s.variants {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// Synthesize speaks req with espeak-ng and returns all of its audio:
// espeak-ng is fast enough that streaming would gain little. req.Voice
// names a variant, req.Language picks the language. The text is passed
// as one argument after "--", never through a shell, so it can change no
// option. The Stream's rate is espeak-ng's (22050 Hz).
func (s *Synthesizer) Synthesize(ctx context.Context, req tts.Request) (tts.Stream, error) {
	text, voice, err := s.check(req)
	if err != nil {
		return nil, err
	}

	// -b 1: the text is UTF-8 whatever the locale of this process.
	return tts.RunProgram(ctx, tts.Program{Name: "espeak", Path: s.bin, Timeout: s.timeout,
		Args: []string{"-v", voice, "-b", "1", "--stdout", "--", text}, Fix: fixStreamedSizes})
}

// check validates req and returns the text to speak and the espeak-ng
// voice argument: a language, then "+variant" when there is one.
func (s *Synthesizer) check(req tts.Request) (text, voice string, err error) {
	if text, err = tts.CheckText("espeak", req.Text, MaxTextBytes); err != nil {
		return "", "", err
	}

	lang := s.language
	if req.Language != "" {
		if lang, err = s.resolveLanguage(req.Language); err != nil {
			return "", "", err
		}
	}
	variant := s.variant
	if req.Voice != "" {
		if variant, err = s.resolveVariant(req.Voice); err != nil {
			return "", "", err
		}
	}
	if variant != "" {
		return text, lang + "+" + variant, nil
	}
	return text, lang, nil
}

// resolveLanguage maps a BCP 47 tag to a language espeak-ng knows: the
// whole tag if it knows it ("en-us", "pt-br"), else the tag less its last
// subtags one by one ("de-DE" becomes "de", "zh-Hans-CN" becomes "zh").
func (s *Synthesizer) resolveLanguage(tag string) (string, error) {
	t := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	for t != "" {
		if s.langs[t] {
			return t, nil
		}
		i := strings.LastIndexByte(t, '-')
		if i < 0 {
			break
		}
		t = t[:i]
	}
	return "", fmt.Errorf("espeak: language %q: %w", tag, tts.ErrUnsupportedLanguage)
}

// resolveVariant returns the file name of a variant, matched ignoring
// case. Only listed variants pass: a Request must not make espeak-ng
// load a file of its choosing.
func (s *Synthesizer) resolveVariant(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	if v, ok := s.variants[strings.ToLower(name)]; ok {
		return v, nil
	}
	return "", fmt.Errorf("espeak: variant %q: %w", name, tts.ErrUnknownVoice)
}

// fixStreamedSizes corrects the header of a WAV file written to a pipe:
// espeak-ng cannot seek back to fill in the sizes, so its data chunk
// claims 0x7ffff000 bytes whatever follows. The data size becomes what
// is really there, the RIFF size to match; other files are left alone.
func fixStreamedSizes(b []byte) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return
	}
	le := binary.LittleEndian
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int64(le.Uint32(b[off+4:]))
		if id == "data" {
			// Whole samples only: espeak-ng writes mono 16-bit audio.
			if have := int64(len(b)-off-8) &^ 1; size > have {
				le.PutUint32(b[off+4:], uint32(have))
				le.PutUint32(b[4:], uint32(len(b)-8))
			}
			return
		}
		if size > int64(len(b)) {
			return
		}
		off += 8 + int(size+size&1)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
