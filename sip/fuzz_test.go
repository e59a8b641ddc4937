package sip

import (
	"context"
	"net/netip"
	"sync"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/voiced/voiced/media"
)

// fakeTx is a server transaction that records the responses.
type fakeTx struct {
	mu        sync.Mutex
	responses []*sip.Response
	done      chan struct{}
}

func newFakeTx() *fakeTx { return &fakeTx{done: make(chan struct{})} }

func (tx *fakeTx) Terminate()                           {}
func (tx *fakeTx) OnTerminate(f sip.FnTxTerminate) bool { return true }
func (tx *fakeTx) Done() <-chan struct{}                { return tx.done }
func (tx *fakeTx) Err() error                           { return nil }
func (tx *fakeTx) Acks() <-chan *sip.Request            { return nil }
func (tx *fakeTx) OnCancel(f sip.FnTxCancel) bool       { return true }
func (tx *fakeTx) Respond(res *sip.Response) error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.responses = append(tx.responses, res)
	return nil
}

func (tx *fakeTx) final() *sip.Response {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	for _, r := range tx.responses {
		if r.StatusCode >= 200 {
			return r
		}
	}
	return nil
}

// noRoute routes nothing, so that fuzzed INVITEs never become calls.
type noRoute struct{}

func (noRoute) Route(context.Context, Inbound) (Route, error) { return Route{}, ErrNoRoute }
func (noRoute) ServeCall(context.Context, *Call)              {}

// FuzzServerRequest feeds arbitrary bytes through sipgo's parser and the
// server's request handlers: nothing panics, and every request but ACK
// gets a final response.
func FuzzServerRequest(f *testing.F) {
	for _, set := range []string{"valid", "invalid"} {
		for _, msg := range tortureMessages(f, set) {
			f.Add(msg)
		}
	}
	ports, err := media.NewPorts(netip.MustParseAddr("127.0.0.1"), 32000, 32999)
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(Config{Listen: "127.0.0.1:0", Ports: ports, Handler: noRoute{},
		Trunks: []Trunk{{Name: "local", Allow: []netip.Prefix{
			netip.MustParsePrefix("127.0.0.0/8")}}},
		Logger: testLogger(f)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	parser := sip.NewParser()

	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := parser.ParseSIP(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		req.SetSource("127.0.0.1:5070")
		req.SetTransport("UDP")
		tx := newFakeTx()
		s.dispatch(req, tx)
		if got := metricValue(s.metrics.panics); got != 0 {
			t.Fatalf("handler panicked on:\n%q", data)
		}
		if !req.IsAck() && tx.final() == nil {
			t.Fatalf("%s got no final response:\n%q", req.Method, data)
		}
	})
}
