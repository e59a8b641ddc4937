package vad

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/voiced/voiced/media"
)

// requireEnv is set where the runtime and the model must be present
// (scripts/setup.sh installs both): their absence then fails the tests
// instead of skipping them.
const requireEnv = "VOICED_REQUIRE_VAD"

var shared struct {
	once  sync.Once
	model *Model
	err   error
}

// testModel returns a Model shared by the package's tests, or skips when
// the ONNX Runtime library or the model is missing.
func testModel(tb testing.TB) *Model {
	tb.Helper()
	shared.once.Do(func() {
		shared.model, shared.err = NewModel(ModelConfig{})
	})
	if shared.err != nil {
		missing(tb, shared.err)
	}
	return shared.model
}

// missing skips on err, or fails where requireEnv is set or err is not a
// missing file.
func missing(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv(requireEnv) != "" || !errors.Is(err, ErrNotFound) {
		tb.Fatalf("vad model: %v", err)
	}
	tb.Skipf("onnx runtime or silero model missing (run scripts/setup.sh, or set %s and %s): %v",
		LibraryEnv, ModelEnv, err)
}

var speechCache sync.Map // text -> []int16

// speech synthesizes text with flite's slt voice at 16 kHz.
func speech(tb testing.TB, text string) []int16 {
	tb.Helper()
	if v, ok := speechCache.Load(text); ok {
		return v.([]int16)
	}
	if _, err := exec.LookPath("flite"); err != nil {
		if os.Getenv(requireEnv) != "" || os.Getenv("VOICED_REQUIRE_FLITE") != "" {
			tb.Fatalf("flite is required: %v", err)
		}
		tb.Skip("flite is not installed (scripts/setup.sh installs it)")
	}

	path := filepath.Join(tb.TempDir(), "speech.wav")
	cmd := exec.Command("flite", "-voice", "slt", "-t", text, "-o", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("flite: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w, err := media.ReadWAV(f)
	if err != nil {
		tb.Fatal(err)
	}
	if w.Rate != 16000 || w.Channels != 1 {
		tb.Fatalf("flite wrote %d Hz, %d channels, want 16000 Hz mono", w.Rate, w.Channels)
	}
	speechCache.Store(text, w.Samples)
	return w.Samples
}

// extent returns the first and last sample (exclusive) of the 10 ms
// blocks of pcm louder than -50 dBFS: where flite's speech really starts
// and ends inside its own leading and trailing quiet.
func extent(pcm []int16, rate int) (first, last int) {
	block := rate / 100
	first, last = -1, -1
	for i := 0; i+block <= len(pcm); i += block {
		var sum float64
		for _, s := range pcm[i : i+block] {
			sum += float64(s) * float64(s)
		}
		if math.Sqrt(sum/float64(block)) > 104 {
			if first < 0 {
				first = i
			}
			last = i + block
		}
	}
	return first, last
}

// track is a test signal with the true extents of the speech in it.
type track struct {
	pcm   []int16
	rate  int
	spans [][2]time.Duration // [start, end) of each piece of speech
}

// compose joins silences (time.Duration) and speech ([]int16 at 16 kHz,
// trimmed to its extent so that the silences are exact) into one 16 kHz
// track.
func compose(parts ...any) track {
	tr := track{rate: 16000}
	for _, p := range parts {
		switch v := p.(type) {
		case time.Duration:
			tr.pcm = append(tr.pcm, make([]int16, int(v)*16000/int(time.Second))...)
		case []int16:
			first, last := extent(v, 16000)
			base := len(tr.pcm)
			tr.pcm = append(tr.pcm, v[first:last]...)
			tr.spans = append(tr.spans, [2]time.Duration{
				dur(base, 16000), dur(len(tr.pcm), 16000),
			})
		}
	}
	return tr
}

// at8k resamples the track to 8 kHz.
func (tr track) at8k(tb testing.TB) track {
	tb.Helper()
	r, err := media.NewResampler(16000, 8000)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]int16, r.OutputLen(len(tr.pcm)))
	n := r.Resample(out, tr.pcm)
	return track{pcm: out[:n], rate: 8000, spans: tr.spans}
}

func dur(samples, rate int) time.Duration {
	return time.Duration(samples) * time.Second / time.Duration(rate)
}

// noise returns n samples of white Gaussian noise with the given RMS.
func noise(n int, rms float64, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]int16, n)
	for i := range out {
		v := rng.NormFloat64() * rms
		out[i] = int16(max(-32768, min(32767, v)))
	}
	return out
}

// run pushes pcm to d in frames of the given size (20 ms when zero) and
// returns every event, and the probability after each window.
func run(tb testing.TB, d *Detector, pcm []int16, frame int) ([]Event, []float32) {
	tb.Helper()
	if frame == 0 {
		frame = media.SamplesPerFrame(d.Config().SampleRate)
	}
	var events []Event
	var probs []float32
	chunk := ChunkSize(d.Config().SampleRate)
	windows := 0
	for len(pcm) > 0 {
		n := min(frame, len(pcm))
		evs, err := d.Push(pcm[:n])
		if err != nil {
			tb.Fatalf("push: %v", err)
		}
		events = append(events, evs...)
		pcm = pcm[n:]
		if done := int(d.pushed) / chunk; done > windows {
			windows = done
			probs = append(probs, d.Probability())
		}
	}
	return events, probs
}

func newDetector(tb testing.TB, m *Model, cfg Config) *Detector {
	tb.Helper()
	d, err := NewDetector(m, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func within(got, want, tol time.Duration) bool {
	return got >= want-tol && got <= want+tol
}
