package sip

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/voiced/voiced/sip/siptest"
)

// dialRejected places a call that must fail and returns its response.
func dialRejected(t *testing.T, p *siptest.Phone, s *Server,
	opts siptest.DialOptions) *sip.Response {
	t.Helper()
	call, err := p.Dial(testContext(t), s.Addr().UDP, opts)
	if err == nil {
		call.Hangup(testContext(t))
		t.Fatalf("dial %s: got an answered call, want a rejection", opts.User)
	}
	var re *siptest.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("dial %s: got %v, want a final response", opts.User, err)
	}
	return re.Response
}

// checkNothingAllocated checks that a rejected call left no trace.
func checkNothingAllocated(t *testing.T, s *Server) {
	t.Helper()
	eventually(t, 5*time.Second, "call slots released", func() bool { return s.activeCalls() == 0 })
	if err := walkFiles(s.cfg.RecordingsDir); err != nil {
		t.Errorf("recordings left behind: %v", err)
	}
}

// walkFiles fails when dir holds any regular file.
func walkFiles(dir string) error {
	var found []string
	err := walkDir(dir, func(path string) { found = append(found, path) })
	if err != nil {
		return err
	}
	if len(found) > 0 {
		return errors.New(strings.Join(found, ", "))
	}
	return nil
}

func walkDir(dir string, f func(string)) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		path := dir + "/" + e.Name()
		if e.IsDir() {
			if err := walkDir(path, f); err != nil {
				return err
			}
			continue
		}
		f(path)
	}
	return nil
}

func TestRejections(t *testing.T) {
	g729 := []byte("v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n")
	tests := []struct {
		name        string
		trunks      []Trunk
		opts        siptest.DialOptions
		wantCode    int
		wantHeader  string
		wantOutcome string
		wantRouted  bool
	}{
		{name: "unlisted source", opts: siptest.DialOptions{User: "123"},
			trunks: []Trunk{{Name: "far", Allow: []netip.Prefix{
				netip.MustParsePrefix("10.0.0.0/8")}}},
			wantCode: 403, wantOutcome: outcomeRejectedAuth},
		{name: "no trunks", opts: siptest.DialOptions{User: "123"}, trunks: []Trunk{},
			wantCode: 403, wantOutcome: outcomeRejectedAuth},
		{name: "credentials missing", opts: siptest.DialOptions{User: "123"},
			trunks:   []Trunk{{Name: "carrier", Username: "alice", Password: "secret"}},
			wantCode: 401, wantHeader: "WWW-Authenticate", wantOutcome: outcomeChallenged},
		{name: "wrong password",
			opts:     siptest.DialOptions{User: "123", Username: "alice", Password: "guess"},
			trunks:   []Trunk{{Name: "carrier", Username: "alice", Password: "secret"}},
			wantCode: 403, wantOutcome: outcomeRejectedAuth},
		{name: "unknown number", opts: siptest.DialOptions{User: "999"},
			wantCode: 404, wantOutcome: outcomeNoRoute, wantRouted: true},
		{name: "only g729", opts: siptest.DialOptions{User: "123", Offer: g729},
			wantCode: 488, wantHeader: "Warning", wantOutcome: outcomeNotAcceptable},
		{name: "malformed sdp", opts: siptest.DialOptions{User: "123", Offer: []byte("v=0\r\nx")},
			wantCode: 400, wantOutcome: outcomeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler()
			cfg := testConfig(t, h)
			if tt.trunks != nil {
				cfg.Trunks = tt.trunks
			}
			s := startServer(t, cfg)
			p := newPhone(t, siptest.Config{})
			res := dialRejected(t, p, s, tt.opts)
			if res.StatusCode != tt.wantCode {
				t.Fatalf("status: got %d %s, want %d", res.StatusCode, res.Reason, tt.wantCode)
			}
			if tt.wantHeader != "" && res.GetHeader(tt.wantHeader) == nil {
				t.Errorf("response has no %s header:\n%s", tt.wantHeader, res)
			}
			if got := len(h.routed()) > 0; got != tt.wantRouted {
				t.Errorf("handler routed the call: got %v, want %v", got, tt.wantRouted)
			}
			got := metricValue(s.metrics.calls.WithLabelValues(tt.wantOutcome))
			if got != 1 {
				t.Errorf("calls_total{outcome=%q}: got %v, want 1", tt.wantOutcome, got)
			}
			checkNothingAllocated(t, s)
		})
	}
}

func TestDigestAuth(t *testing.T) {
	for _, algo := range []string{"SHA-256", "MD5"} {
		t.Run(algo, func(t *testing.T) {
			h := newTestHandler()
			cfg := testConfig(t, h)
			cfg.Trunks = []Trunk{{Name: "carrier", Tenant: "t1", Username: "alice",
				Password: "secret"}}
			s := startServer(t, cfg)
			p := newPhone(t, siptest.Config{})
			ctx := testContext(t)
			call, err := p.Dial(ctx, s.Addr().UDP, siptest.DialOptions{User: "123",
				Username: "alice", Password: "secret", Algorithm: algo})
			if err != nil {
				t.Fatalf("dial with credentials: %v", err)
			}
			c := <-h.calls
			if got := c.Inbound(); got.Trunk != "carrier" || got.TrunkTenant != "t1" {
				t.Errorf("inbound: got trunk %q tenant %q, want carrier t1", got.Trunk,
					got.TrunkTenant)
			}
			if err := call.Hangup(ctx); err != nil {
				t.Errorf("bye: %v", err)
			}
		})
	}
}

func TestAuthFailureCounted(t *testing.T) {
	cfg := testConfig(t, newTestHandler())
	cfg.Trunks = nil
	s := startServer(t, cfg)
	p := newPhone(t, siptest.Config{})
	dialRejected(t, p, s, siptest.DialOptions{User: "123"})
	if got := metricValue(s.metrics.authFailures); got != 1 {
		t.Errorf("auth failures: got %v, want 1", got)
	}
}

func TestMaxCalls(t *testing.T) {
	h := newTestHandler()
	cfg := testConfig(t, h)
	cfg.MaxCalls = 1
	cfg.RetryAfter = 42 * time.Second
	s := startServer(t, cfg)
	p := newPhone(t, siptest.Config{})
	ctx := testContext(t)
	call, err := p.Dial(ctx, s.Addr().UDP, siptest.DialOptions{User: "123"})
	if err != nil {
		t.Fatalf("first call: %v", err)
	}
	defer call.Hangup(ctx)
	res := dialRejected(t, p, s, siptest.DialOptions{User: "124"})
	if res.StatusCode != 503 {
		t.Fatalf("second call: got %d, want 503", res.StatusCode)
	}
	if h := res.GetHeader("Retry-After"); h == nil || h.Value() != "42" {
		t.Errorf("retry-after: got %v, want 42", h)
	}
}

func TestCancel(t *testing.T) {
	h := newTestHandler()
	routing := make(chan struct{})
	h.route = func(ctx context.Context, in Inbound) (Route, error) {
		close(routing)
		<-ctx.Done()
		return Route{}, ctx.Err()
	}
	s := startServer(t, testConfig(t, h))
	p := newPhone(t, siptest.Config{})
	ctx, cancel := context.WithCancel(testContext(t))
	go func() {
		<-routing
		cancel()
	}()
	_, err := p.Dial(ctx, s.Addr().UDP, siptest.DialOptions{User: "123"})
	if got := siptest.StatusCode(err); got != 487 {
		t.Fatalf("cancelled call: got %v (%d), want 487", err, got)
	}
	checkNothingAllocated(t, s)
	eventually(t, 5*time.Second, "cancelled counted", func() bool {
		return metricValue(s.metrics.calls.WithLabelValues(outcomeCancelled)) == 1
	})
}
