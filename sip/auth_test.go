package sip

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

func testTrunks() []Trunk {
	return []Trunk{
		{Name: "pbx", Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		{Name: "carrier", Username: "alice", Password: "secret"},
	}
}

func newRequest(method sip.RequestMethod, auth string) *sip.Request {
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", User: "100", Host: "192.0.2.1"})
	if auth != "" {
		req.AppendHeader(sip.NewHeader("Authorization", auth))
	}
	return req
}

// answerChallenge computes credentials for the challenge with algo.
func answerChallenge(t *testing.T, se *StatusError, algo, user, pass string) string {
	t.Helper()
	for _, h := range se.Headers {
		c, err := digest.ParseChallenge(h.Value)
		if err != nil {
			t.Fatalf("parse challenge %q: %v", h.Value, err)
		}
		if c.Algorithm != algo {
			continue
		}
		cred, err := digest.Digest(c, digest.Options{Method: "INVITE", URI: "sip:100@192.0.2.1",
			Username: user, Password: pass})
		if err != nil {
			t.Fatalf("digest: %v", err)
		}
		return cred.String()
	}
	t.Fatalf("no %s challenge in %v", algo, se.Headers)
	return ""
}

func TestAuthenticate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	a, err := newAuthenticator(testTrunks(), "voiced", clock)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.authenticate(newRequest(sip.INVITE, ""), netip.MustParseAddr("192.0.2.9"))
	var chal *StatusError
	if !errors.As(err, &chal) || chal.Code != 401 || len(chal.Headers) != 2 {
		t.Fatalf("no credentials: got %v, want a 401 with two challenges", err)
	}

	tests := []struct {
		name      string
		src       string
		auth      string
		advance   time.Duration
		wantTrunk string
		wantCode  int
		wantStale bool
	}{
		{name: "allowed source", src: "10.1.2.3", wantTrunk: "pbx"},
		{name: "mapped ipv4 source", src: "::ffff:10.1.2.3", wantTrunk: "pbx"},
		{name: "sha-256", src: "192.0.2.9",
			auth: answerChallenge(t, chal, "SHA-256", "alice", "secret"), wantTrunk: "carrier"},
		{name: "md5", src: "192.0.2.9",
			auth: answerChallenge(t, chal, "MD5", "alice", "secret"), wantTrunk: "carrier"},
		{name: "wrong password", src: "192.0.2.9",
			auth: answerChallenge(t, chal, "MD5", "alice", "guess"), wantCode: 403},
		{name: "unknown user", src: "192.0.2.9",
			auth: answerChallenge(t, chal, "MD5", "mallory", "secret"), wantCode: 403},
		{name: "expired nonce", src: "192.0.2.9", advance: 6 * time.Minute,
			auth: answerChallenge(t, chal, "SHA-256", "alice", "secret"), wantCode: 401,
			wantStale: true},
		{name: "forged nonce", src: "192.0.2.9",
			auth: strings.Replace(answerChallenge(t, chal, "MD5", "alice", "secret"),
				`nonce="`, `nonce="x`, 1), wantCode: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(tt.advance)
			trunk, err := a.authenticate(newRequest(sip.INVITE, tt.auth), netip.MustParseAddr(tt.src))
			if tt.wantCode != 0 {
				var se *StatusError
				if !errors.As(err, &se) || se.Code != tt.wantCode {
					t.Fatalf("got %v, want status %d", err, tt.wantCode)
				}
				stale := len(se.Headers) > 0 && strings.Contains(se.Headers[0].Value, "stale=true")
				if stale != tt.wantStale {
					t.Errorf("stale: got %v, want %v", stale, tt.wantStale)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want trunk %s", err, tt.wantTrunk)
			}
			if trunk.Name != tt.wantTrunk {
				t.Errorf("trunk: got %s, want %s", trunk.Name, tt.wantTrunk)
			}
		})
	}
}

func TestAuthenticateWithoutTrunks(t *testing.T) {
	a, err := newAuthenticator(nil, "voiced", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.authenticate(newRequest(sip.INVITE, ""), netip.MustParseAddr("127.0.0.1"))
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 403 {
		t.Fatalf("got %v, want 403", err)
	}
}
