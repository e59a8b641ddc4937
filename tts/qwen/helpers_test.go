package qwen

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voiced/voiced/tts"
	"github.com/voiced/voiced/tts/ttstest"
)

// testTimeout bounds every synthesis of the tests, so that none hangs.
const testTimeout = 10 * time.Second

// checkGoroutines fails the test if goroutines it started outlive it. It
// must be called before anything registers its own cleanup (a server),
// so that its check runs last.
func checkGoroutines(t *testing.T) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := runtime.NumGoroutine(); got > base {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("got %d goroutines after the test, want %d:\n%s", got, base, buf)
		}
	})
}

// newServer starts a fake server and a Synthesizer for it; edit changes
// the config first.
func newServer(t *testing.T, edit func(*Config)) (*ttstest.Server, *Synthesizer) {
	t.Helper()
	checkGoroutines(t)
	srv := ttstest.NewServer(t)
	cfg := Config{URL: srv.URL}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.pause = time.Millisecond
	return srv, s
}

// testContext returns a context that ends with the test, or after
// testTimeout.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// readAll reads st to its end or first error, in reads of n samples.
func readAll(st tts.Stream, n int) ([]int16, error) {
	var out []int16
	buf := make([]int16, n)
	for {
		k, err := st.Read(buf)
		out = append(out, buf[:k]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// samePCM fails unless got is want.
func samePCM(t *testing.T, got, want []int16) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d samples, want %d", len(got), len(want))
	}
	if i := firstDiff(got, want); i >= 0 {
		t.Fatalf("sample %d: got %d, want %d", i, got[i], want[i])
	}
}

func firstDiff(a, b []int16) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// isPrefix reports whether got starts want's samples.
func isPrefix(got, want []int16) bool {
	return len(got) <= len(want) && slices.Equal(got, want[:len(got)])
}

// hasAll reports whether s contains every part.
func hasAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
