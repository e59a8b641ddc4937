package tts

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/voiced/voiced/media"
)

// CheckText validates the text of a request for a backend that speaks at
// most max bytes at once, and returns it sanitized and trimmed. name
// prefixes the errors.
func CheckText(name, text string, max int) (string, error) {
	if len(text) > max {
		return "", fmt.Errorf("%s: %d bytes of text, at most %d: %w", name, len(text), max,
			ErrTextTooLong)
	}
	text = strings.TrimSpace(SanitizeText(text))
	if text == "" {
		return "", fmt.Errorf("%s: %w", name, ErrEmptyText)
	}
	return text, nil
}

// Program describes one run of a local synthesizer program that writes a
// mono WAV to its standard output.
type Program struct {
	// Name prefixes errors ("flite").
	Name string
	// Path and Args are the program and its arguments; the text is one of
	// the arguments, never passed through a shell.
	Path string
	Args []string
	// Timeout bounds the run.
	Timeout time.Duration
	// Fix, when set, repairs the output before it is parsed (for programs
	// that cannot seek back to write the WAV header's sizes to a pipe).
	Fix func(wav []byte)
}

// RunProgram runs p and returns its speech as a Stream. ctx cancels the
// program; a program that outlives Timeout is killed.
func RunProgram(ctx context.Context, p Program) (Stream, error) {
	runCtx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(runCtx, p.Path, p.Args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()

	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: synthesize: %w", p.Name, ctx.Err())
	case runCtx.Err() != nil:
		return nil, fmt.Errorf("%s: synthesis took longer than %v: %w", p.Name, p.Timeout,
			runCtx.Err())
	case err != nil:
		return nil, fmt.Errorf("%s: synthesize: %w: %s", p.Name, err, firstLine(stderr.String()))
	}
	out := stdout.Bytes()
	if p.Fix != nil {
		p.Fix(out)
	}
	w, err := media.ReadWAV(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("%s: read output: %w", p.Name, err)
	}
	if w.Channels != 1 {
		return nil, fmt.Errorf("%s: output has %d channels, want 1", p.Name, w.Channels)
	}
	return NewPCMStream(w.Rate, w.Samples), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
