package espeak

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/tts"
)

// requireEspeak skips without the espeak-ng binary, unless
// VOICED_REQUIRE_ESPEAK is set, where its absence fails.
func requireEspeak(t *testing.T) *Synthesizer {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		if os.Getenv("VOICED_REQUIRE_ESPEAK") != "" {
			t.Fatalf("espeak-ng is required: %v", err)
		}
		t.Skip("espeak-ng is not installed (Debian package espeak-ng)")
	}
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeVoices and fakeVariants are short listings in espeak-ng's layout.
const (
	fakeVoices = `Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  de              --/M      German             gmw/de
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 5  en-us           --/M      English_(America)  gmw/en-US            (en 3)
 5  cmn             --/M      Chinese_(Mandarin,_latin_as_English) sit/cmn              (zh-cmn 5)(zh 5)
 5  pt-br           --/M      Portuguese_(Brazil) roa/pt-BR            (pt 6)`
	fakeVariants = `Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  variant         --/F      Alicia             !v/Alicia
 5  variant         --/M      Mr_Serious         !v/Mr serious
 5  variant         --/F      female3            !v/f3`
)

// fakeEspeak writes a shell script that lists voices like espeak-ng and
// runs body for a synthesis.
func fakeEspeak(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{"voices": fakeVoices, "variants": fakeVariants} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "espeak-ng")
	script := "#!/bin/sh\n" +
		"case \"$1\" in\n" +
		"--voices) cat '" + dir + "/voices'; exit 0;;\n" +
		"--voices=variant) cat '" + dir + "/variants'; exit 0;;\n" +
		"esac\n" + body + "\n"
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
	s := requireEspeak(t)
	tests := []struct {
		name string
		req  tts.Request
	}{
		{"default language", tts.Request{Text: "Hello, thank you for calling."}},
		{"german", tts.Request{Text: "Guten Tag, vielen Dank für Ihren Anruf.", Language: "de-DE"}},
		{"french with a variant", tts.Request{Text: "Bonjour, merci de votre appel.",
			Language: "fr", Voice: "F3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := s.Synthesize(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			pcm, rate, err := tts.ReadAll(context.Background(), st)
			if err != nil {
				t.Fatal(err)
			}

			if rate != 22050 {
				t.Fatalf("got %d Hz, want 22050", rate)
			}
			d := time.Duration(len(pcm)) * time.Second / time.Duration(rate)
			if d < time.Second || d > 5*time.Second {
				t.Fatalf("got %v of speech, want 1-5 s", d)
			}
			if got := rms(pcm); got < 300 {
				t.Fatalf("got RMS %.0f, want speech (at least 300)", got)
			}
		})
	}
}

// TestSynthesizeTextIsOneArgument checks that text reaches espeak-ng as
// text: an option in it changes no option, and shell syntax runs nothing.
func TestSynthesizeTextIsOneArgument(t *testing.T) {
	s := requireEspeak(t)
	marker := filepath.Join(t.TempDir(), "ran")
	plain, err := s.Synthesize(context.Background(), tts.Request{Text: "word"})
	if err != nil {
		t.Fatal(err)
	}
	quiet, _, err := tts.ReadAll(context.Background(), plain)
	if err != nil {
		t.Fatal(err)
	}

	for _, text := range []string{"-q", "-w " + marker, "$(touch " + marker + "); `touch " +
		marker + "`"} {
		st, err := s.Synthesize(context.Background(), tts.Request{Text: text})
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		pcm, _, err := tts.ReadAll(context.Background(), st)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		// -q would make espeak-ng silent: spoken, it is audio.
		if len(pcm) <= len(quiet)/2 {
			t.Fatalf("%q: got %d samples, want it spoken", text, len(pcm))
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the text was taken as options or shell syntax")
	}
}

func TestSynthesizeArguments(t *testing.T) {
	dir := t.TempDir()
	args := filepath.Join(dir, "args")
	bin := fakeEspeak(t, `printf '%s\n' "$@" > '`+args+`'; exit 1`)
	s, err := New(Config{Binary: bin, Language: "en-GB"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		req  tts.Request
		want string
	}{
		{tts.Request{Text: " hi\x1b[1m "}, "-v en-gb -b 1 --stdout -- hi [1m"},
		{tts.Request{Text: "oi", Language: "pt-BR"}, "-v pt-br -b 1 --stdout -- oi"},
		{tts.Request{Text: "ni hao", Language: "zh-Hans-CN", Voice: "alicia"},
			"-v zh+Alicia -b 1 --stdout -- ni hao"},
		{tts.Request{Text: "tag", Language: "de_AT", Voice: "Mr Serious"},
			"-v de+Mr serious -b 1 --stdout -- tag"},
	}
	for _, tt := range tests {
		_, _ = s.Synthesize(context.Background(), tt.req)
		data, err := os.ReadFile(args)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(strings.Split(strings.TrimSpace(string(data)), "\n"), " ")
		if got != tt.want {
			t.Errorf("%+v: got arguments %q, want %q", tt.req, got, tt.want)
		}
	}
}

func TestSynthesizeRejects(t *testing.T) {
	s, err := New(Config{Binary: fakeEspeak(t, "exit 1")})
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
		{"unknown variant", tts.Request{Text: "hi", Voice: "nosuch"}, tts.ErrUnknownVoice},
		{"variant path", tts.Request{Text: "hi", Voice: "../../etc/passwd"}, tts.ErrUnknownVoice},
		{"unknown language", tts.Request{Text: "hi", Language: "tlh"}, tts.ErrUnsupportedLanguage},
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
	tests := []struct {
		name string
		body string
		want string
	}{
		{"exit status", "echo 'Error: The specified espeak-ng voice does not exist.' >&2; exit 1",
			"voice does not exist"},
		{"not a wav file", "echo garbage", "read output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Config{Binary: fakeEspeak(t, tt.body)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Synthesize(context.Background(), tts.Request{Text: "hi"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
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
		{"espeak-ng takes too long", 100 * time.Millisecond, false, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Config{Binary: fakeEspeak(t, "exec sleep 30"), Timeout: tt.timeout})
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
		{"binary not on PATH", Config{Binary: "voiced-no-such-espeak"}, ErrNotInstalled},
		{"binary path missing", Config{Binary: "/nonexistent/espeak-ng"}, ErrNotInstalled},
		{"unknown language", Config{Binary: fakeEspeak(t, "exit 0"), Language: "xx"},
			tts.ErrUnsupportedLanguage},
		{"unknown variant", Config{Binary: fakeEspeak(t, "exit 0"), Variant: "nosuch"},
			tts.ErrUnknownVoice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}

	s, err := New(Config{Binary: fakeEspeak(t, "exit 0")})
	if err != nil {
		t.Fatal(err)
	}
	want := "cmn de en en-gb en-us pt pt-br zh zh-cmn"
	if got := strings.Join(s.Languages(), " "); got != want {
		t.Fatalf("got languages %q, want %q", got, want)
	}
	if got, want := strings.Join(s.Variants(), ","), "Alicia,Mr serious,f3"; got != want {
		t.Fatalf("got variants %q, want %q", got, want)
	}
}

// streamedWAV is a WAV file as espeak-ng writes it to a pipe, its data
// chunk claiming 0x7ffff000 bytes.
func streamedWAV(samples []int16, extra []byte) []byte {
	var buf bytes.Buffer
	w := &media.WAV{Rate: 22050, Channels: 1, Samples: samples}
	if _, err := w.WriteTo(&buf); err != nil {
		panic(err)
	}
	b := buf.Bytes()
	binary.LittleEndian.PutUint32(b[4:], 0x7ffff024)
	binary.LittleEndian.PutUint32(b[40:], 0x7ffff000)
	return append(b, extra...)
}

func TestFixStreamedSizes(t *testing.T) {
	samples := []int16{1, -2, 3, -4, 5}
	tests := []struct {
		name string
		in   []byte
		want int // samples ReadWAV finds; -1 for an error
	}{
		{"streamed header", streamedWAV(samples, nil), 5},
		{"streamed header, odd tail", streamedWAV(samples, []byte{9}), 5},
		{"not a wav", []byte("garbage that is not a wav file"), -1},
		{"truncated header", streamedWAV(samples, nil)[:30], -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(tt.in)
			fixStreamedSizes(b)
			w, err := media.ReadWAV(bytes.NewReader(b))
			got := -1
			if err == nil {
				got = len(w.Samples)
			}
			if got != tt.want {
				t.Fatalf("got %d samples (%v), want %d", got, err, tt.want)
			}
		})
	}
}

func FuzzFixStreamedSizes(f *testing.F) {
	f.Add(streamedWAV([]int16{1, 2, 3}, nil))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVELIST\xff\xff\xff\x7f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fixStreamedSizes(b)
	})
}
