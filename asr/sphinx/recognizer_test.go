package sphinx

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voiced/voiced/asr"
)

func TestRecognize(t *testing.T) {
	r := newRecognizer(t, Config{Decoders: 1})
	tests := []struct {
		say  string
		want []string
	}{
		{"What are your opening hours on Saturday", []string{"opening", "hours", "saturday"}},
		{"What is the number of the gas emergency line", []string{"gas", "emergency", "line"}},
		{"Where is your head office", []string{"head", "office"}},
	}
	for _, tt := range tests {
		t.Run(tt.say, func(t *testing.T) {
			pcm := speak(t, tt.say)
			res := recognize(t, r, pcm)
			if missing := missingWords(res.Text, tt.want...); len(missing) > 0 {
				t.Errorf("got %q, want the words %q (missing %q)", res.Text, tt.want, missing)
			}
			if res.Backend != Backend {
				t.Errorf("got backend %q, want %q", res.Backend, Backend)
			}
			if res.Language != "en" {
				t.Errorf("got language %q, want en", res.Language)
			}
			want := time.Duration(len(pcm)) * time.Second / asr.SampleRate
			if res.Audio != want {
				t.Errorf("got audio %v, want %v", res.Audio, want)
			}
		})
	}
}

// quietNoise is low-level white noise, what a line carries between words.
func quietNoise(n int) []int16 {
	rng := rand.New(rand.NewPCG(1, 2))
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(rng.IntN(61) - 30)
	}
	return pcm
}

func TestSilence(t *testing.T) {
	r := newRecognizer(t, Config{Decoders: 1})
	tests := []struct {
		name string
		pcm  []int16
	}{
		{"digital silence", make([]int16, 2*asr.SampleRate)},
		{"quiet noise", quietNoise(2 * asr.SampleRate)},
		{"no audio", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := recognize(t, r, tt.pcm).Text; got != "" {
				t.Errorf("got %q, want an empty transcript", got)
			}
		})
	}

	// Silent sessions must not drag the cepstral mean away from speech.
	got := recognize(t, r, speak(t, "What are your opening hours on Saturday")).Text
	if missing := missingWords(got, "opening", "hours", "saturday"); len(missing) > 0 {
		t.Errorf("after silence got %q, missing %q", got, missing)
	}
}

func TestPartials(t *testing.T) {
	r := newRecognizer(t, Config{Decoders: 1})
	pcm := speak(t, "What is the number of the gas emergency line")

	var partials []string
	s, err := r.Start(context.Background(), asr.Options{
		OnPartial: func(text string) { partials = append(partials, text) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := stream(s, pcm); err != nil {
		t.Fatal(err)
	}
	res, err := s.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	if len(partials) == 0 {
		t.Fatalf("got no partial transcripts for %q", res.Text)
	}
	// At most one look per 300 ms of audio, and only changed text.
	if most := len(pcm)/(asr.SampleRate*3/10) + 1; len(partials) > most {
		t.Errorf("got %d partials for %v of audio, want at most %d", len(partials), res.Audio, most)
	}
	for i := 1; i < len(partials); i++ {
		if partials[i] == partials[i-1] {
			t.Errorf("partial %d repeats %q", i, partials[i])
		}
	}
	if last := partials[len(partials)-1]; !strings.Contains(last, "gas") {
		t.Errorf("got last partial %q, want it to contain gas", last)
	}
}

func TestSessionLifecycle(t *testing.T) {
	r := newRecognizer(t, Config{Decoders: 1})
	pcm := speak(t, "Where is your head office")

	s, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := stream(s, pcm); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Finish(context.Background()); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if err := s.Write(pcm[:frame]); !errors.Is(err, asr.ErrFinished) {
		t.Errorf("Write after Finish: got %v, want asr.ErrFinished", err)
	}
	if _, err := s.Finish(context.Background()); !errors.Is(err, asr.ErrFinished) {
		t.Errorf("second Finish: got %v, want asr.ErrFinished", err)
	}
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Errorf("Close %d after Finish: %v", i+1, err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err = r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Finish(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Finish with a canceled context: got %v, want context.Canceled", err)
	}
	s.Close()
	if err := s.Write(pcm[:frame]); !errors.Is(err, asr.ErrClosed) {
		t.Errorf("Write after Close: got %v, want asr.ErrClosed", err)
	}
	if _, err := s.Finish(context.Background()); !errors.Is(err, asr.ErrClosed) {
		t.Errorf("Finish after Close: got %v, want asr.ErrClosed", err)
	}
}

// TestCloseReleases runs more sessions than decoders, one after another,
// abandoning most of them mid-utterance: none may keep its decoder.
func TestCloseReleases(t *testing.T) {
	r := newRecognizer(t, Config{Decoders: 2})
	pcm := speak(t, "What are your opening hours on Saturday")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for i := range 6 {
		s, err := r.Start(ctx, asr.Options{})
		if err != nil {
			t.Fatalf("Start %d: %v", i+1, err)
		}
		if err := stream(s, pcm[:len(pcm)/2]); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close %d: %v", i+1, err)
		}
	}
	if got := len(r.pool); got != 2 {
		t.Errorf("got %d idle decoders, want 2", got)
	}

	// A decoder whose utterance was abandoned decodes the next one whole.
	for range 2 {
		got := recognize(t, r, pcm).Text
		if missing := missingWords(got, "opening", "hours", "saturday"); len(missing) > 0 {
			t.Errorf("after abandoned sessions got %q, missing %q", got, missing)
		}
	}
}

func TestConcurrentSessions(t *testing.T) {
	r := newRecognizer(t, Config{Decoders: 2})
	tests := []struct {
		say  string
		want []string
	}{
		{"What are your opening hours on Saturday", []string{"opening", "saturday"}},
		{"What is the number of the gas emergency line", []string{"gas", "emergency"}},
		{"Where is your head office", []string{"head", "office"}},
		{"How much is the standing charge for gas", []string{"standing", "charge"}},
	}
	pcm := make([][]int16, len(tests))
	for i, tt := range tests {
		pcm[i] = speak(t, tt.say)
	}

	var wg sync.WaitGroup
	got := make([]string, len(tests))
	errs := make([]error, len(tests))
	for i := range tests {
		wg.Go(func() {
			res, err := decode(r, pcm[i])
			got[i], errs[i] = res.Text, err
		})
	}
	wg.Wait()
	for i, tt := range tests {
		if errs[i] != nil {
			t.Errorf("%q: %v", tt.say, errs[i])
			continue
		}
		if missing := missingWords(got[i], tt.want...); len(missing) > 0 {
			t.Errorf("%q: got %q, missing %q", tt.say, got[i], missing)
		}
	}
}

func TestStartWaitsForDecoder(t *testing.T) {
	r := newRecognizer(t, Config{Decoders: 1})
	busy, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := r.Start(ctx, asr.Options{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Start past its deadline: got %v, want context.DeadlineExceeded", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	canceled := make(chan error, 1)
	go func() {
		_, err := r.Start(ctx, asr.Options{})
		canceled <- err
	}()
	cancel()
	if err := <-canceled; !errors.Is(err, context.Canceled) {
		t.Errorf("Start canceled while waiting: got %v, want context.Canceled", err)
	}

	started := make(chan asr.Session, 1)
	go func() {
		s, err := r.Start(context.Background(), asr.Options{})
		if err != nil {
			t.Errorf("Start waiting for the busy decoder: %v", err)
		}
		started <- s
	}()
	busy.Close()
	if s := <-started; s != nil {
		s.Close()
	}
}

func TestRecognizerClose(t *testing.T) {
	r := newRecognizer(t, Config{Decoders: 1})
	open, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := r.Start(context.Background(), asr.Options{})
		waiting <- err
	}()

	for i := range 2 {
		if err := r.Close(); err != nil {
			t.Errorf("Close %d: %v", i+1, err)
		}
	}
	if err := <-waiting; !errors.Is(err, ErrClosed) {
		t.Errorf("Start waiting during Close: got %v, want ErrClosed", err)
	}
	if _, err := r.Start(context.Background(), asr.Options{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: got %v, want ErrClosed", err)
	}

	// The session still open keeps its decoder until it ends.
	if err := open.Write(make([]int16, frame)); err != nil {
		t.Errorf("Write on a session open across Close: %v", err)
	}
	if err := open.Close(); err != nil {
		t.Errorf("closing a session after its recognizer: %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	requireSphinx(t)
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"missing model", Config{ModelDir: t.TempDir()}, ErrModelMissing},
		{"missing dictionary", Config{Dict: "/nonexistent.dict"}, ErrModelMissing},
		{"missing language model", Config{LM: "/nonexistent.lm.bin"}, ErrModelMissing},
		{"corpus without words", Config{Corpus: []string{"§§ 12x9 ??"}}, ErrEmptyCorpus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(tt.cfg)
			if err == nil {
				r.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}

	if _, err := New(Config{CorpusWeight: 1.5}); !errors.Is(err, asr.ErrBadConfig) {
		t.Errorf("corpus weight 1.5: got %v, want asr.ErrBadConfig", err)
	}
}
