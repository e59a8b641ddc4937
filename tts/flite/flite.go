// Package flite speaks with Debian's flite, the CMU speech synthesizer,
// run as a separate process for every request. It is the embedded
// default for development and tests: robotic, English only, offline.
package flite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/voiced/voiced/tts"
)

// ErrNotInstalled is returned by New when the flite binary is missing.
var ErrNotInstalled = errors.New("flite: binary not found (Debian package flite)")

// MaxTextBytes is the longest text one request may speak, about four
// minutes of speech; callers speak answers sentence by sentence.
const MaxTextBytes = 4000

// Config configures the flite backend.
type Config struct {
	// Binary is the flite executable: a name looked up on PATH or a path.
	// Empty means "flite".
	Binary string
	// Voice is the default voice: a built-in voice (flite -lv lists them)
	// or the path of a .flitevox file. Empty means "slt", a 16 kHz female
	// US English voice.
	Voice string
	// Timeout bounds one synthesis; zero means 30 s.
	Timeout time.Duration
}

// Synthesizer runs flite for every request. It is safe for concurrent
// use; each request is its own process.
type Synthesizer struct {
	bin     string
	voice   string
	timeout time.Duration
	voices  []string // built-in voices, the only ones a Request may name
}

var _ tts.Synthesizer = (*Synthesizer)(nil)

// New finds the flite binary, asks it for its voices and checks the
// configured one.
func New(cfg Config) (*Synthesizer, error) {
	if cfg.Binary == "" {
		cfg.Binary = "flite"
	}
	if cfg.Voice == "" {
		cfg.Voice = "slt"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}

	bin, err := exec.LookPath(cfg.Binary)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotInstalled, err)
	}
	s := &Synthesizer{bin: bin, voice: cfg.Voice, timeout: cfg.Timeout}
	if s.voices, err = listVoices(bin); err != nil {
		return nil, err
	}
	if isVoiceFile(cfg.Voice) {
		if _, err := os.Stat(cfg.Voice); err != nil {
			return nil, fmt.Errorf("flite: voice file: %w", err)
		}
	} else if !slices.Contains(s.voices, cfg.Voice) {
		return nil, fmt.Errorf("flite: voice %q (flite has %s): %w", cfg.Voice,
			strings.Join(s.voices, ", "), tts.ErrUnknownVoice)
	}
	return s, nil
}

// listVoices runs flite -lv, which prints "Voices available: kal slt ...".
func listVoices(bin string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-lv").Output()
	if err != nil {
		return nil, fmt.Errorf("flite: list voices: %w", err)
	}
	_, list, ok := strings.Cut(string(out), ":")
	if !ok || len(strings.Fields(list)) == 0 {
		return nil, fmt.Errorf("flite: list voices: unexpected output %q", out)
	}
	return strings.Fields(list), nil
}

func isVoiceFile(voice string) bool {
	return strings.ContainsRune(voice, os.PathSeparator) || strings.HasSuffix(voice, ".flitevox")
}

// Voices lists flite's built-in voices.
func (s *Synthesizer) Voices() []string { return slices.Clone(s.voices) }

// Synthesize speaks req with flite and returns all of its audio: flite
// writes nothing before the whole utterance is synthesized. The text is
// passed as one argument, never through a shell. The Stream's rate is the
// voice's (16 kHz for slt, 8 kHz for kal).
func (s *Synthesizer) Synthesize(ctx context.Context, req tts.Request) (tts.Stream, error) {
	text, voice, err := s.check(req)
	if err != nil {
		return nil, err
	}

	// flite has no option for standard output (it takes "-" for a file
	// name) but opens /dev/stdout like any file, which is the pipe here:
	// no temporary file to clean up. It writes the header with its final
	// sizes, so a pipe that cannot seek does no harm.
	return tts.RunProgram(ctx, tts.Program{Name: "flite", Path: s.bin, Timeout: s.timeout,
		Args: []string{"-voice", voice, "-o", "/dev/stdout", "-t", text}})
}

// check validates req and returns the text to speak and the voice to use.
func (s *Synthesizer) check(req tts.Request) (text, voice string, err error) {
	if text, err = tts.CheckText("flite", req.Text, MaxTextBytes); err != nil {
		return "", "", err
	}

	voice = s.voice
	if req.Voice != "" {
		// A request names built-in voices only: a path or URL would let
		// whoever writes the request make flite load a file of its choice.
		if !slices.Contains(s.voices, req.Voice) {
			return "", "", fmt.Errorf("flite: voice %q: %w", req.Voice, tts.ErrUnknownVoice)
		}
		voice = req.Voice
	}
	lang := strings.ToLower(req.Language)
	if lang != "" && lang != "en" && !strings.HasPrefix(lang, "en-") {
		return "", "", fmt.Errorf("flite: language %q, flite speaks English: %w", req.Language,
			tts.ErrUnsupportedLanguage)
	}
	return text, voice, nil
}
