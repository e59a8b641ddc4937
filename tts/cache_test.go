package tts

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// fakeSynth speaks a text as one sample per byte. While gate is set, every
// synthesis waits for it to close or for its context to end.
type fakeSynth struct {
	mu    sync.Mutex
	calls map[string]int
	gate  chan struct{}
	err   error
}

func (f *fakeSynth) Synthesize(ctx context.Context, req Request) (Stream, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[req.Text]++
	gate, err := f.gate, f.err
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	return NewPCMStream(16000, speak(req.Text)), nil
}

func (f *fakeSynth) count(text string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[text]
}

func speak(text string) []int16 {
	out := make([]int16, len(text))
	for i := range text {
		out[i] = int16(text[i])
	}
	return out
}

func synth(t *testing.T, c *Cache, ctx context.Context, text string) ([]int16, error) {
	t.Helper()
	s, err := c.Synthesize(ctx, Request{Text: text})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	pcm, _, err := ReadAll(ctx, s)
	return pcm, err
}

func TestCacheKeepsAndEvicts(t *testing.T) {
	fake := &fakeSynth{}
	c, err := NewCache(CacheConfig{Synthesizer: fake, MaxSamples: 10})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		text      string
		wantCalls int
	}{
		{"abcd", 1}, {"abcd", 1}, {"efgh", 1}, {"abcd", 1},
		{"ijkl", 1},        // evicts efgh, the least recently used
		{"efgh", 2},        // synthesized again, evicts abcd
		{"ijkl", 1},        // still kept
		{"0123456789A", 1}, // larger than the cache: returned, not kept
		{"0123456789A", 2},
	}
	for i, st := range steps {
		got, err := synth(t, c, ctx, st.text)
		if err != nil || !slices.Equal(got, speak(st.text)) {
			t.Fatalf("step %d %q: got %v, %v, want its samples", i, st.text, got, err)
		}
		if n := fake.count(st.text); n != st.wantCalls {
			t.Fatalf("step %d %q: got %d syntheses, want %d", i, st.text, n, st.wantCalls)
		}
	}
	if n, samples := c.Len(); n != 2 || samples != 8 {
		t.Fatalf("got %d entries of %d samples, want 2 of 8", n, samples)
	}
}

func TestCacheDoesNotKeepFailures(t *testing.T) {
	fake := &fakeSynth{err: errors.New("backend down")}
	c, _ := NewCache(CacheConfig{Synthesizer: fake})
	for i := range 2 {
		if _, err := synth(t, c, context.Background(), "hello"); err == nil {
			t.Fatalf("call %d: got nil, want the backend's error", i)
		}
	}
	if n := fake.count("hello"); n != 2 {
		t.Fatalf("got %d syntheses, want 2: a failure was kept", n)
	}
}

func TestCacheSharesOneSynthesis(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &fakeSynth{gate: make(chan struct{})}
		c, _ := NewCache(CacheConfig{Synthesizer: fake})
		text := strings.Repeat("welcome ", 3)
		var wg sync.WaitGroup
		results := make([][]int16, 5)
		for i := range results {
			wg.Go(func() {
				pcm, err := synth(t, c, context.Background(), text)
				if err != nil {
					t.Errorf("caller %d: %v", i, err)
				}
				results[i] = pcm
			})
		}
		synctest.Wait()
		close(fake.gate)
		wg.Wait()

		if n := fake.count(text); n != 1 {
			t.Fatalf("got %d syntheses for 5 concurrent callers, want 1", n)
		}
		for i, pcm := range results {
			if !slices.Equal(pcm, speak(text)) {
				t.Fatalf("caller %d got %d samples, want %d", i, len(pcm), len(text))
			}
		}
	})
}

// TestCacheLeaderGivesUp checks that a caller waiting on a synthesis whose
// own caller hung up gets its audio anyway.
func TestCacheLeaderGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &fakeSynth{gate: make(chan struct{})}
		c, _ := NewCache(CacheConfig{Synthesizer: fake})
		leaderCtx, hangUp := context.WithCancel(context.Background())
		leaderErr := make(chan error, 1)
		go func() {
			_, err := synth(t, c, leaderCtx, "hello")
			leaderErr <- err
		}()
		synctest.Wait()
		waiter := make(chan []int16, 1)
		go func() {
			pcm, _ := synth(t, c, context.Background(), "hello")
			waiter <- pcm
		}()
		synctest.Wait()

		hangUp()
		if err := <-leaderErr; !errors.Is(err, context.Canceled) {
			t.Fatalf("leader got %v, want context.Canceled", err)
		}
		synctest.Wait()
		close(fake.gate)
		if got := <-waiter; !slices.Equal(got, speak("hello")) {
			t.Fatalf("waiter got %v, want the audio", got)
		}
		if n := fake.count("hello"); n != 2 {
			t.Fatalf("got %d syntheses, want 2", n)
		}
	})
}
