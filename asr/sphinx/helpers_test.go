package sphinx

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/media"
)

// frame is 20 ms of audio at asr.SampleRate, the size RTP delivers.
const frame = asr.SampleRate / 50

// requireSphinx skips without Debian's pocketsphinx model, unless
// VOICED_REQUIRE_SPHINX is set, where its absence fails
// (scripts/setup.sh installs it).
func requireSphinx(t testing.TB) {
	t.Helper()
	for _, p := range []string{filepath.Join(DefaultModelDir, "mdef"), DefaultDict, DefaultLM} {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("VOICED_REQUIRE_SPHINX") != "" {
				t.Fatalf("pocketsphinx model is required: %v", err)
			}
			t.Skipf("pocketsphinx model is not installed (apt-get install pocketsphinx-en-us): %v", err)
		}
	}
}

// requireFlite skips without flite, unless VOICED_REQUIRE_FLITE or
// VOICED_REQUIRE_SPHINX is set.
func requireFlite(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("flite"); err != nil {
		if os.Getenv("VOICED_REQUIRE_FLITE") != "" || os.Getenv("VOICED_REQUIRE_SPHINX") != "" {
			t.Fatalf("flite is required: %v", err)
		}
		t.Skip("flite is not installed (apt-get install flite)")
	}
}

// newRecognizer loads a recognizer and closes it when the test ends.
func newRecognizer(t testing.TB, cfg Config) *Recognizer {
	t.Helper()
	requireSphinx(t)
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

var (
	speechMu    sync.Mutex // guards speechCache
	speechCache = map[string][]int16{}
)

// speak synthesizes text with flite's slt voice, 16 kHz mono.
func speak(t testing.TB, text string) []int16 {
	t.Helper()
	requireFlite(t)
	speechMu.Lock()
	defer speechMu.Unlock()
	if pcm, ok := speechCache[text]; ok {
		return pcm
	}

	path := filepath.Join(t.TempDir(), "speech.wav")
	out, err := exec.Command("flite", "-voice", "slt", "-t", text, "-o", path).CombinedOutput()
	if err != nil {
		t.Fatalf("flite: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wav, err := media.ReadWAV(f)
	if err != nil {
		t.Fatalf("read flite wav: %v", err)
	}
	if wav.Rate != asr.SampleRate || wav.Channels != 1 {
		t.Fatalf("flite wav is %d Hz, %d channels; want %d Hz mono", wav.Rate, wav.Channels, asr.SampleRate)
	}
	speechCache[text] = wav.Samples
	return wav.Samples
}

// stream writes pcm to s in 20 ms frames.
func stream(s asr.Session, pcm []int16) error {
	for i := 0; i < len(pcm); i += frame {
		if err := s.Write(pcm[i:min(i+frame, len(pcm))]); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}

// decode recognizes one utterance; it may run on any goroutine.
func decode(r *Recognizer, pcm []int16) (asr.Result, error) {
	s, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		return asr.Result{}, fmt.Errorf("start: %w", err)
	}
	defer s.Close()
	if err := stream(s, pcm); err != nil {
		return asr.Result{}, err
	}
	return s.Finish(context.Background())
}

// recognize decodes one utterance on the test's goroutine.
func recognize(t testing.TB, r *Recognizer, pcm []int16) asr.Result {
	t.Helper()
	res, err := decode(r, pcm)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// normalize lowercases text and keeps its words, the way pocketsphinx
// writes a transcript.
func normalize(text string) []string {
	var words []string
	for _, s := range sentences(text) {
		words = append(words, s...)
	}
	return words
}

// missingWords reports the words of want missing from got.
func missingWords(got string, want ...string) []string {
	have := map[string]bool{}
	for _, w := range strings.Fields(strings.ToLower(got)) {
		have[w] = true
	}
	var missing []string
	for _, w := range want {
		if !have[w] {
			missing = append(missing, w)
		}
	}
	return missing
}

// wordErrors counts the substitutions, deletions and insertions that turn
// ref into hyp (Levenshtein distance on words); over len(ref), it is the
// word error rate.
func wordErrors(ref, hyp []string) int {
	prev := make([]int, len(hyp)+1)
	cur := make([]int, len(hyp)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ref); i++ {
		cur[0] = i
		for j := 1; j <= len(hyp); j++ {
			sub := prev[j-1]
			if ref[i-1] != hyp[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(hyp)]
}
