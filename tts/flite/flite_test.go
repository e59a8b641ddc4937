package flite

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voiced/voiced/tts"
)

// requireFlite skips without the flite binary, unless VOICED_REQUIRE_FLITE
// is set, where its absence fails (scripts/setup.sh installs it).
func requireFlite(t *testing.T) *Synthesizer {
	t.Helper()
	if _, err := exec.LookPath("flite"); err != nil {
		if os.Getenv("VOICED_REQUIRE_FLITE") != "" {
			t.Fatalf("flite is required: %v", err)
		}
		t.Skip("flite is not installed (scripts/setup.sh installs it)")
	}
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeFlite writes a shell script that answers -lv like flite and runs
// body for a synthesis.
func fakeFlite(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flite")
	script := "#!/bin/sh\n" +
		"if [ \"$1\" = -lv ]; then echo 'Voices available: kal slt'; exit 0; fi\n" + body + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func rms(pcm []int16) float64 {
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(max(len(pcm), 1)))
}

func TestSynthesize(t *testing.T) {
	s := requireFlite(t)
	st, err := s.Synthesize(context.Background(), tts.Request{Text: "Hello, thank you for calling."})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pcm, rate, err := tts.ReadAll(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}

	if rate != 16000 {
		t.Fatalf("got %d Hz, want 16000", rate)
	}
	d := time.Duration(len(pcm)) * time.Second / time.Duration(rate)
	if d < time.Second || d > 4*time.Second {
		t.Fatalf("got %v of speech, want 1-4 s", d)
	}
	if got := rms(pcm); got < 300 {
		t.Fatalf("got RMS %.0f, want speech (at least 300)", got)
	}
}

// TestSynthesizeTextIsOneArgument checks that text reaches flite as text:
// an option in it changes no option, and shell syntax runs nothing.
func TestSynthesizeTextIsOneArgument(t *testing.T) {
	s := requireFlite(t)
	marker := filepath.Join(t.TempDir(), "ran")
	for _, text := range []string{"-voice kal", "$(touch " + marker + "); `touch " + marker + "`"} {
		st, err := s.Synthesize(context.Background(), tts.Request{Text: text})
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		// kal speaks at 8 kHz: a 16 kHz answer is still slt.
		if st.SampleRate() != 16000 {
			t.Fatalf("%q: got %d Hz, want slt's 16000", text, st.SampleRate())
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("shell syntax in the text ran")
	}
}

func TestSynthesizeRejects(t *testing.T) {
	s, err := New(Config{Binary: fakeFlite(t, "exit 1")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  tts.Request
		want error
	}{
		{"empty", tts.Request{Text: ""}, tts.ErrEmptyText},
		{"blank and control characters", tts.Request{Text: " \t\x00\x1b\n"}, tts.ErrEmptyText},
		{"too long", tts.Request{Text: strings.Repeat("a", MaxTextBytes+1)}, tts.ErrTextTooLong},
		{"unknown voice", tts.Request{Text: "hi", Voice: "nosuch"}, tts.ErrUnknownVoice},
		{"voice file", tts.Request{Text: "hi", Voice: "/tmp/x.flitevox"}, tts.ErrUnknownVoice},
		{"german", tts.Request{Text: "hallo", Language: "de-DE"}, tts.ErrUnsupportedLanguage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Synthesize(context.Background(), tt.req); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSynthesizeFails(t *testing.T) {
	s, err := New(Config{Binary: fakeFlite(t, "echo 'cannot load voice' >&2; exit 3")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Synthesize(context.Background(), tts.Request{Text: "hi", Language: "en-GB"})
	if err == nil || !strings.Contains(err.Error(), "cannot load voice") {
		t.Fatalf("got %v, want flite's message", err)
	}
}

func TestSynthesizeCancel(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		cancel  bool
		want    error
	}{
		{"caller hangs up", time.Minute, true, context.Canceled},
		{"flite takes too long", 100 * time.Millisecond, false, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Config{Binary: fakeFlite(t, "exec sleep 30"), Timeout: tt.timeout})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				time.AfterFunc(100*time.Millisecond, cancel)
			}
			start := time.Now()
			_, err = s.Synthesize(ctx, tts.Request{Text: "hi"})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("returned after %v, want about 100ms", d)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"binary not on PATH", Config{Binary: "voiced-no-such-flite"}, ErrNotInstalled},
		{"binary path missing", Config{Binary: "/nonexistent/flite"}, ErrNotInstalled},
		{"unknown voice", Config{Binary: fakeFlite(t, "exit 0"), Voice: "nosuch"}, tts.ErrUnknownVoice},
		{"missing voice file", Config{Binary: fakeFlite(t, "exit 0"), Voice: "/nonexistent/v.flitevox"},
			os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}

	s, err := New(Config{Binary: fakeFlite(t, "exit 0")})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Voices(), " "); got != "kal slt" {
		t.Fatalf("got voices %q, want \"kal slt\"", got)
	}
}
