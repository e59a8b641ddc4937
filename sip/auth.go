package sip

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// nonceLifetime is how long a challenge's nonce is honoured; older ones
// get a fresh challenge with stale=true (RFC 7616 section 3.3).
const nonceLifetime = 5 * time.Minute

// authenticator decides whether a request comes from one of the trunks:
// by source address, or by digest credentials (RFC 7616, RFC 2617, as SIP
// uses them in RFC 3261 section 22). Nonces carry their own time and an
// HMAC, so verifying one needs no state.
type authenticator struct {
	trunks []Trunk
	realm  string
	secret []byte
	now    func() time.Time
}

func newAuthenticator(trunks []Trunk, realm string, now func() time.Time) (*authenticator, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("nonce secret: %w", err)
	}
	return &authenticator{trunks: trunks, realm: realm, secret: secret, now: now}, nil
}

// authenticate returns the trunk req belongs to, or a *StatusError: 401
// with a challenge when credentials are missing or stale, 403 when they
// are wrong or no trunk knows the source.
func (a *authenticator) authenticate(req *sip.Request, src netip.Addr) (*Trunk, error) {
	src = src.Unmap()
	for i := range a.trunks {
		for _, p := range a.trunks[i].Allow {
			if p.Contains(src) {
				return &a.trunks[i], nil
			}
		}
	}
	if !a.anyDigest() {
		return nil, statusError(403, "", errForbiddenSource)
	}
	creds := a.credentials(req)
	if creds == nil {
		return nil, a.challenge(false, nil)
	}
	trunk, err := a.verify(req.Method.String(), creds)
	if err != nil {
		return nil, err
	}
	return trunk, nil
}

func (a *authenticator) anyDigest() bool {
	for _, t := range a.trunks {
		if t.Username != "" && t.Password != "" {
			return true
		}
	}
	return false
}

// credentials returns the Authorization header meant for our realm.
func (a *authenticator) credentials(req *sip.Request) *digest.Credentials {
	for _, h := range req.GetHeaders("Authorization") {
		c, err := digest.ParseCredentials(h.Value())
		if err == nil && c.Realm == a.realm {
			return c
		}
	}
	return nil
}

// verify checks creds against the trunk named by their username.
func (a *authenticator) verify(method string, creds *digest.Credentials) (*Trunk, error) {
	trunk := a.trunkForUser(creds.Username)
	if trunk == nil || creds.Userhash {
		return nil, statusError(403, "", errBadCredentials)
	}
	algo := strings.ToUpper(creds.Algorithm)
	if algo != "" && algo != "MD5" && algo != "SHA-256" || creds.QOP != "auth" ||
		creds.Cnonce == "" || creds.Nc <= 0 {
		return nil, a.challenge(false, fmt.Errorf("unsupported digest: algorithm %q qop %q",
			creds.Algorithm, creds.QOP))
	}
	if err := a.checkNonce(creds.Nonce); err != nil {
		return nil, a.challenge(errors.Is(err, errStaleNonce), err)
	}
	chal := &digest.Challenge{Realm: a.realm, Nonce: creds.Nonce, Algorithm: creds.Algorithm,
		QOP: []string{"auth"}, Opaque: creds.Opaque}
	want, err := digest.Digest(chal, digest.Options{Method: method, URI: creds.URI,
		Username: trunk.Username, Password: trunk.Password, Cnonce: creds.Cnonce, Count: creds.Nc})
	if err != nil {
		return nil, statusError(403, "", fmt.Errorf("compute digest: %w", err))
	}
	got := strings.ToLower(creds.Response)
	if subtle.ConstantTimeCompare([]byte(got), []byte(want.Response)) != 1 {
		return nil, statusError(403, "", errBadCredentials)
	}
	return trunk, nil
}

func (a *authenticator) trunkForUser(user string) *Trunk {
	for i := range a.trunks {
		t := &a.trunks[i]
		if t.Username != "" && t.Password != "" && t.Username == user {
			return t
		}
	}
	return nil
}

// challenge is the 401 carrying a SHA-256 and an MD5 challenge, the
// preferred first (RFC 7616 section 3.7, RFC 8760 section 2.4).
func (a *authenticator) challenge(stale bool, cause error) *StatusError {
	nonce := a.newNonce()
	se := &StatusError{Code: 401, Reason: "Unauthorized", Err: cause}
	for _, algo := range []string{"SHA-256", "MD5"} {
		c := digest.Challenge{Realm: a.realm, Nonce: nonce, Algorithm: algo,
			QOP: []string{"auth"}, Stale: stale}
		se.Headers = append(se.Headers, Header{Name: "WWW-Authenticate", Value: c.String()})
	}
	if se.Err == nil {
		se.Err = errors.New("credentials required")
	}
	return se
}

// Nonce layout: 8 bytes of issue time (Unix nanoseconds), 8 random bytes
// and the first 16 bytes of an HMAC-SHA256 over both and the realm.
const nonceLen = 8 + 8 + 16

func (a *authenticator) newNonce() string {
	var b [nonceLen]byte
	binary.BigEndian.PutUint64(b[:8], uint64(a.now().UnixNano()))
	_, _ = rand.Read(b[8:16])
	copy(b[16:], a.mac(b[:16]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (a *authenticator) mac(b []byte) []byte {
	m := hmac.New(sha256.New, a.secret)
	m.Write(b)
	m.Write([]byte(a.realm))
	return m.Sum(nil)[:16]
}

// checkNonce verifies that we issued nonce and that it is fresh.
func (a *authenticator) checkNonce(nonce string) error {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != nonceLen {
		return errors.New("nonce is not ours")
	}
	if !hmac.Equal(b[16:], a.mac(b[:16])) {
		return errors.New("nonce is not ours")
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(b[:8])))
	age := a.now().Sub(issued)
	if age < -time.Minute || age > nonceLifetime {
		return errStaleNonce
	}
	return nil
}
