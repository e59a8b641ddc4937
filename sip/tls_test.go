package sip

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voiced/voiced/sip/siptest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "voiced test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}),
		0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	h := newTestHandler()
	cfg := testConfig(t, h)
	cfg.TLS = &TLSConfig{Listen: "127.0.0.1:0", CertFile: certFile, KeyFile: keyFile}
	s := startServer(t, cfg)
	if !s.Addr().TLS.IsValid() {
		t.Fatal("no tls address")
	}
	p := newPhone(t, siptest.Config{Transport: "tls", TLS: &tls.Config{RootCAs: pool}})
	ctx := testContext(t)

	_, err := p.Dial(ctx, s.Addr().TLS, siptest.DialOptions{User: "123"})
	if got := siptest.StatusCode(err); got != 488 {
		t.Fatalf("plain rtp over tls: got %v (%d), want 488", err, got)
	}
	call, err := p.Dial(ctx, s.Addr().TLS, siptest.DialOptions{User: "123", SRTP: true})
	if err != nil {
		t.Fatalf("srtp over tls: %v", err)
	}
	c := <-h.calls
	if err := call.Hangup(ctx); err != nil {
		t.Fatalf("bye over tls: %v", err)
	}
	<-c.Done()

	call, err = p.Dial(ctx, s.Addr().TLS, siptest.DialOptions{User: "123", NoOffer: true})
	if err != nil {
		t.Fatalf("delayed offer over tls: %v", err)
	}
	c = <-h.calls
	if !strings.Contains(string(call.Answer().Body()), "RTP/SAVP") {
		t.Errorf("offer in the 200 over tls is not RTP/SAVP:\n%s", call.Answer().Body())
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatalf("hangup over tls: %v", err)
	}
	select {
	case <-call.Ended():
	case <-ctx.Done():
		t.Fatal("caller got no bye over tls")
	}
}
