package sip

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// testRegistrar is a tiny registrar for tests: it challenges every REGISTER
// without credentials with 401 and grants the rest for expires.
type testRegistrar struct {
	addr    string
	expires int

	mu       sync.Mutex // guards the fields below
	granted  []time.Time
	removed  int
	bad      int
	refused  []time.Time
	contacts []string
}

func startRegistrar(t *testing.T, expires int) *testRegistrar {
	t.Helper()
	r := &testRegistrar{expires: expires}
	ua, err := sipgo.NewUA(sipgo.WithUserAgentTransportLayerOptions(
		sip.WithTransportLayerLogger(testLogger(t))))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(r.onRegister)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r.addr = conn.LocalAddr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeUDP(conn)
	}()
	t.Cleanup(func() {
		conn.Close()
		ua.Close()
		<-done
	})
	return r
}

func (r *testRegistrar) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	auth := req.GetHeader("Authorization")
	if auth == nil {
		chal := digest.Challenge{Realm: "test", Nonce: "abc123", Algorithm: "MD5",
			QOP: []string{"auth"}}
		res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal.String()))
		tx.Respond(res)
		return
	}
	creds, err := digest.ParseCredentials(auth.Value())
	want, _ := digest.Digest(&digest.Challenge{Realm: "test", Nonce: "abc123",
		Algorithm: "MD5", QOP: []string{"auth"}}, digest.Options{Method: "REGISTER",
		URI: creds.URI, Username: "trunkuser", Password: "trunkpass", Cnonce: creds.Cnonce,
		Count: creds.Nc})
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil || creds.Response != want.Response {
		r.bad++
		r.refused = append(r.refused, time.Now())
		tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if h := req.GetHeader("Expires"); h != nil && h.Value() == "0" {
		r.removed++
		tx.Respond(res)
		return
	}
	contact := req.Contact()
	r.contacts = append(r.contacts, contact.Address.String())
	granted := contact.Clone()
	granted.Params = sip.NewParams()
	granted.Params.Add("expires", itoa(r.expires))
	res.AppendHeader(granted)
	r.granted = append(r.granted, time.Now())
	tx.Respond(res)
}

func (r *testRegistrar) counts() (granted, removed, bad int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.granted), r.removed, r.bad
}

func TestRegistration(t *testing.T) {
	reg := startRegistrar(t, 2)
	cfg := testConfig(t, newTestHandler())
	cfg.Trunks = append(cfg.Trunks, Trunk{Name: "carrier", Username: "trunkuser",
		Password: "trunkpass", Register: &Registration{
			Registrar: "sip:" + reg.addr + ";transport=udp", Domain: "example.net",
			Contact: "voiced-01", Expires: time.Hour}})
	s := startServer(t, cfg)
	gauge := s.metrics.registered.WithLabelValues("carrier")

	eventually(t, 10*time.Second, "registered and refreshed", func() bool {
		granted, _, _ := reg.counts()
		return granted >= 3
	})
	if got := metricValue(gauge); got != 1 {
		t.Errorf("trunk_registered: got %v, want 1", got)
	}
	reg.mu.Lock()
	gap := reg.granted[2].Sub(reg.granted[1])
	contact := reg.contacts[0]
	reg.mu.Unlock()
	// Granted 2 s, refreshed halfway.
	if gap < 500*time.Millisecond || gap > 1800*time.Millisecond {
		t.Errorf("refresh interval: got %v, want about 1 s", gap)
	}
	wantContact := "sip:voiced-01@127.0.0.1:" + itoa(int(s.Addr().UDP.Port()))
	if !strings.HasPrefix(contact, wantContact) {
		t.Errorf("contact: got %s, want %s", contact, wantContact)
	}

	if err := s.Shutdown(testContext(t)); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	_, removed, bad := reg.counts()
	if removed != 1 || bad != 0 {
		t.Errorf("unregister: got %d removals and %d bad credentials, want 1 and 0", removed, bad)
	}
	if got := metricValue(gauge); got != 0 {
		t.Errorf("trunk_registered after shutdown: got %v, want 0", got)
	}
}

func TestRefreshAfter(t *testing.T) {
	tests := []struct{ granted, want time.Duration }{
		{2 * time.Second, time.Second},
		{60 * time.Second, 30 * time.Second},
		{300 * time.Second, 240 * time.Second},
		{3600 * time.Second, 3540 * time.Second},
	}
	for _, tt := range tests {
		if got := refreshAfter(tt.granted); got != tt.want {
			t.Errorf("refreshAfter(%v): got %v, want %v", tt.granted, got, tt.want)
		}
	}
}

func TestRegistrationBackoff(t *testing.T) {
	reg := startRegistrar(t, 60)
	cfg := testConfig(t, newTestHandler())
	cfg.Trunks = append(cfg.Trunks, Trunk{Name: "carrier", Username: "trunkuser",
		Password: "wrong", Register: &Registration{Registrar: "sip:" + reg.addr}})
	s := startServer(t, cfg)
	eventually(t, 10*time.Second, "two refused attempts", func() bool {
		_, _, bad := reg.counts()
		return bad >= 2
	})
	reg.mu.Lock()
	gap := reg.refused[1].Sub(reg.refused[0])
	reg.mu.Unlock()
	// 1 s with a quarter of jitter either way.
	if gap < 700*time.Millisecond || gap > 1500*time.Millisecond {
		t.Errorf("first retry after %v, want about 1 s", gap)
	}
	if got := metricValue(s.metrics.registered.WithLabelValues("carrier")); got != 0 {
		t.Errorf("trunk_registered: got %v, want 0", got)
	}
}
