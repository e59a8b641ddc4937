package sip

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/sip/siptest"
)

// testHandler routes "100"-"199" to tenant demo and records what its
// calls hear; onServe, when set, runs the call instead.
type testHandler struct {
	route   func(ctx context.Context, in Inbound) (Route, error)
	onServe func(ctx context.Context, c *Call)
	calls   chan *Call

	mu      sync.Mutex // guards inbound
	inbound []Inbound
}

func newTestHandler() *testHandler {
	return &testHandler{calls: make(chan *Call, 16)}
}

func (h *testHandler) Route(ctx context.Context, in Inbound) (Route, error) {
	h.mu.Lock()
	h.inbound = append(h.inbound, in)
	h.mu.Unlock()
	if h.route != nil {
		return h.route(ctx, in)
	}
	if len(in.User) == 3 && in.User[0] == '1' {
		return Route{Tenant: "demo", Agent: "main"}, nil
	}
	return Route{}, ErrNoRoute
}

func (h *testHandler) ServeCall(ctx context.Context, c *Call) {
	h.calls <- c
	if h.onServe != nil {
		h.onServe(ctx, c)
		return
	}
	<-ctx.Done()
}

func (h *testHandler) routed() []Inbound {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Inbound(nil), h.inbound...)
}

// metricValue reads a counter or gauge.
func metricValue(m prometheus.Metric) float64 {
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		return -1
	}
	switch {
	case out.Counter != nil:
		return out.Counter.GetValue()
	case out.Gauge != nil:
		return out.Gauge.GetValue()
	}
	return -1
}

// testConfig is a server on loopback port 0 that trusts 127.0.0.1.
func testConfig(t *testing.T, h Handler) Config {
	t.Helper()
	ports, err := media.NewPorts(netip.MustParseAddr("127.0.0.1"), 31000, 31999)
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		Listen:        "127.0.0.1:0",
		Ports:         ports,
		Handler:       h,
		RecordingsDir: t.TempDir(),
		Trunks: []Trunk{{Name: "local", Tenant: "demo",
			Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}},
		Logger: testLogger(t),
	}
}

func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("SIP_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	w := &testWriter{w: t.Output()}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// testWriter forwards to a test's output until the test ends: sipgo's
// transaction goroutines may still log a line after the server closed.
type testWriter struct {
	mu      sync.Mutex // guards stopped
	w       io.Writer
	stopped bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return len(p), nil
	}
	return w.w.Write(p)
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
}

// startServer serves cfg until the test ends.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	if err := s.ServeBackground(t.Context()); err != nil {
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newPhone(t *testing.T, cfg siptest.Config) *siptest.Phone {
	t.Helper()
	p, err := siptest.NewPhone(cfg)
	if err != nil {
		t.Fatalf("new phone: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// tone is a sine of freq at rate lasting d.
func tone(freq float64, rate int, d time.Duration) []int16 {
	n := int(d.Seconds() * float64(rate))
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return pcm
}

// loud counts samples louder than a quiet background.
func loud(pcm []int16) int {
	n := 0
	for _, s := range pcm {
		if s > 2000 || s < -2000 {
			n++
		}
	}
	return n
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// baseline records goroutines and open files so that a test can check
// that everything it started is gone.
type baseline struct {
	goroutines, fds int
}

func takeBaseline() baseline {
	return baseline{goroutines: runtime.NumGoroutine(), fds: openFiles()}
}

func openFiles() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// check waits for goroutines and open files to come back to b.
func (b baseline) check(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		g, f := runtime.NumGoroutine(), openFiles()
		if g <= b.goroutines && f <= b.fds {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("leak: goroutines %d (baseline %d), open files %d (baseline %d)\n%s",
				g, b.goroutines, f, b.fds, buf[:n])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
