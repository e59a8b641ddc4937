package asrtest

import (
	"runtime"
	"testing"
	"time"
)

// leakGrace is how long goroutines get to end after a test.
const leakGrace = 5 * time.Second

// CheckGoroutines counts the goroutines now and, when the test ends, fails
// it if more remain once leakGrace has passed. Call it before NewServer
// and before starting clients, so that it runs after their cleanups; it
// does not work with parallel tests.
func CheckGoroutines(t testing.TB) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(leakGrace)
		for {
			n := runtime.NumGoroutine()
			if n <= base {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("got %d goroutines after the test, want at most %d:\n%s", n, base, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
