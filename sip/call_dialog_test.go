package sip

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/voiced/voiced/sip/siptest"
)

// answered places one call and returns both ends.
func answered(t *testing.T, cfg Config, h *testHandler, opts siptest.DialOptions) (
	*Server, *siptest.Phone, *siptest.Call, *Call) {
	t.Helper()
	s := startServer(t, cfg)
	p := newPhone(t, siptest.Config{})
	if opts.User == "" {
		opts.User = "123"
	}
	call, err := p.Dial(testContext(t), s.Addr().UDP, opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(call.Close)
	select {
	case c := <-h.calls:
		return s, p, call, c
	case <-time.After(5 * time.Second):
		t.Fatal("handler got no call")
	}
	return nil, nil, nil, nil
}

func TestHoldResume(t *testing.T) {
	h := newTestHandler()
	_, _, call, c := answered(t, testConfig(t, h), h, siptest.DialOptions{})
	ctx := testContext(t)
	tests := []struct {
		dir     string
		wantDir string
		held    bool
	}{
		{"sendonly", "a=recvonly", true},
		{"inactive", "a=inactive", true},
		{"sendrecv", "a=sendrecv", false},
	}
	version := 1
	for _, tt := range tests {
		res, err := call.Reinvite(ctx, tt.dir)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("re-invite %s: got %v %v, want 200", tt.dir, res, err)
		}
		body := string(res.Body())
		if !strings.Contains(body, tt.wantDir) {
			t.Errorf("re-invite %s: answer has no %s:\n%s", tt.dir, tt.wantDir, body)
		}
		version++
		if want := " " + strconv.Itoa(version) + " IN IP4"; !strings.Contains(body, want) {
			t.Errorf("re-invite %s: session version is not %d:\n%s", tt.dir, version, body)
		}
		var held bool
		c.do(func() { held = c.loop.held })
		if held != tt.held {
			t.Errorf("re-invite %s: held %v, want %v", tt.dir, held, tt.held)
		}
	}
}

func TestReinviteCodecChangeRefused(t *testing.T) {
	h := newTestHandler()
	_, _, call, c := answered(t, testConfig(t, h), h, siptest.DialOptions{})
	offer := []byte("v=0\r\no=x 1 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 8\r\n")
	res, err := call.ReinviteWith(testContext(t), offer)
	if err != nil || res.StatusCode != 488 {
		t.Fatalf("re-invite with pcma: got %v %v, want 488", res, err)
	}
	select {
	case <-c.Done():
		t.Fatal("a refused re-invite ended the call")
	default:
	}
}

func TestDTMF(t *testing.T) {
	h := newTestHandler()
	_, _, call, c := answered(t, testConfig(t, h), h, siptest.DialOptions{})
	ctx := testContext(t)
	if res, err := call.SendInfoDTMF(ctx, '5', true); err != nil || res.StatusCode != 200 {
		t.Fatalf("info dtmf-relay: got %v %v, want 200", res, err)
	}
	if res, err := call.SendInfoDTMF(ctx, '#', false); err != nil || res.StatusCode != 200 {
		t.Fatalf("info dtmf: got %v %v, want 200", res, err)
	}
	if err := call.SendDTMF(ctx, '7'); err != nil {
		t.Fatalf("rfc 4733: %v", err)
	}
	var got []rune
	for len(got) < 3 {
		select {
		case d := <-c.DTMF():
			got = append(got, d)
		case <-ctx.Done():
			t.Fatalf("digits: got %q, want \"5#7\"", string(got))
		}
	}
	if string(got) != "5#7" {
		t.Errorf("digits: got %q, want \"5#7\"", string(got))
	}
	if err := c.SendDTMF('9'); err != nil {
		t.Fatalf("send dtmf: %v", err)
	}
	select {
	case d := <-call.DTMF():
		if d != '9' {
			t.Errorf("caller got digit %q, want '9'", d)
		}
	case <-ctx.Done():
		t.Error("caller got no digit")
	}
}

func TestHangupFromServer(t *testing.T) {
	h := newTestHandler()
	_, _, call, c := answered(t, testConfig(t, h), h, siptest.DialOptions{})
	ctx := testContext(t)
	if err := c.Hangup(ctx); err != nil {
		t.Fatalf("hangup: %v", err)
	}
	select {
	case <-call.Ended():
	case <-ctx.Done():
		t.Fatal("caller got no bye")
	}
	if err := c.SendDTMF('1'); !errors.Is(err, ErrCallEnded) {
		t.Errorf("send dtmf after hangup: got %v, want ErrCallEnded", err)
	}
}

func TestNoRTPEndsCall(t *testing.T) {
	h := newTestHandler()
	cfg := testConfig(t, h)
	cfg.NoRTPTimeout = 300 * time.Millisecond
	_, _, call, c := answered(t, cfg, h, siptest.DialOptions{})
	ctx := testContext(t)
	select {
	case <-call.Ended():
	case <-ctx.Done():
		t.Fatal("a silent caller was not hung up")
	}
	select {
	case <-c.ctx.Done():
	case <-ctx.Done():
		t.Fatal("serve call context did not end")
	}
}

func TestTransfer(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		wantErr error
	}{
		{"accepted", 200, nil},
		{"busy target", 486, ErrTransferFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler()
			s := startServer(t, testConfig(t, h))
			p := newPhone(t, siptest.Config{ReferStatus: tt.status})
			ctx := testContext(t)
			call, err := p.Dial(ctx, s.Addr().UDP, siptest.DialOptions{User: "123"})
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer call.Close()
			c := <-h.calls
			err = c.Transfer(ctx, "200")
			if !errors.Is(err, tt.wantErr) && !(err == nil && tt.wantErr == nil) {
				t.Fatalf("transfer: got %v, want %v", err, tt.wantErr)
			}
			refer := <-call.Refers()
			if !strings.Contains(refer.To, "sip:200@127.0.0.1") || refer.ReferredBy == "" {
				t.Errorf("refer: got %+v, want Refer-To sip:200@127.0.0.1 and Referred-By", refer)
			}
			if tt.wantErr != nil {
				select {
				case <-c.Done():
					t.Fatal("a failed transfer ended the call")
				default:
				}
				return
			}
			select {
			case <-call.Ended():
			case <-ctx.Done():
				t.Fatal("no bye after the transfer")
			}
		})
	}
}

func TestUnknownDialogAndMethods(t *testing.T) {
	s := startServer(t, testConfig(t, newTestHandler()))
	p := newPhone(t, siptest.Config{})
	ctx := testContext(t)
	uri := sip.Uri{Scheme: "sip", User: "123", Host: "127.0.0.1", Port: int(s.Addr().UDP.Port())}
	inDialog := func(m sip.RequestMethod) *sip.Request {
		req := sip.NewRequest(m, uri)
		to := &sip.ToHeader{Address: uri, Params: sip.NewParams()}
		to.Params.Add("tag", "nosuchtag")
		req.AppendHeader(to)
		return req
	}
	tests := []struct {
		name string
		req  *sip.Request
		want int
	}{
		{"bye", inDialog(sip.BYE), 481},
		{"info", inDialog(sip.INFO), 481},
		{"re-invite", inDialog(sip.INVITE), 481},
		{"message", sip.NewRequest(sip.MESSAGE, uri), 405},
		{"register", sip.NewRequest(sip.REGISTER, uri), 405},
		{"subscribe", sip.NewRequest(sip.SUBSCRIBE, uri), 405},
	}
	for _, tt := range tests {
		res, err := p.Request(ctx, tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if res.StatusCode != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, res.StatusCode, tt.want)
		}
		if tt.want == 405 && res.GetHeader("Allow") == nil {
			t.Errorf("%s: 405 without Allow", tt.name)
		}
	}
}

func TestDrain(t *testing.T) {
	base := takeBaseline()
	h := newTestHandler()
	cfg := testConfig(t, h)
	cfg.DrainGrace = 500 * time.Millisecond
	s, p, call, c := answered(t, cfg, h, siptest.DialOptions{})
	ctx := testContext(t)

	var wg sync.WaitGroup
	var shutdownErr error
	wg.Go(func() { shutdownErr = s.Shutdown(ctx) })
	eventually(t, 5*time.Second, "draining", s.draining)

	res := dialRejected(t, p, s, siptest.DialOptions{User: "124"})
	if res.StatusCode != 503 || res.GetHeader("Retry-After") == nil {
		t.Errorf("invite while draining: got %d, want 503 with Retry-After", res.StatusCode)
	}
	if res, err := p.Options(ctx, s.Addr().UDP); err != nil || res.StatusCode != 503 {
		t.Errorf("options while draining: got %v %v, want 503", res, err)
	}
	select {
	case <-call.Ended():
	case <-ctx.Done():
		t.Fatal("the running call got no bye after the grace")
	}
	wg.Wait()
	if shutdownErr != nil {
		t.Errorf("shutdown: %v", shutdownErr)
	}
	select {
	case <-c.ctx.Done():
	default:
		t.Error("serve call context still running after shutdown")
	}
	p.Close()
	base.check(t)
}
func itoa(n int) string { return strconv.Itoa(n) }

func TestReinviteNewAddress(t *testing.T) {
	h := newTestHandler()
	_, _, call, c := answered(t, testConfig(t, h), h, siptest.DialOptions{})
	offer := []byte("v=0\r\no=x 1 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n" +
		"m=audio 40000 RTP/AVP 0\r\n")
	res, err := call.ReinviteWith(testContext(t), offer)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("re-invite with a new address: got %v %v, want 200", res, err)
	}
	var remote string
	c.do(func() { remote = c.loop.offer.remote.String() })
	if remote != "127.0.0.2:40000" {
		t.Errorf("remote: got %s, want 127.0.0.2:40000", remote)
	}
}
