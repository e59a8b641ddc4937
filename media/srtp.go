package media

import (
	"crypto/rand"
	"fmt"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// The SDES crypto suites voiced speaks (RFC 4568 section 6.2), as an
// SRTPConfig names them.
const (
	// SRTPAES128SHA1_80 is AES-128 counter mode with an 80-bit HMAC-SHA1
	// tag (RFC 3711 section 5), the suite every SDES peer supports.
	SRTPAES128SHA1_80 = "AES_CM_128_HMAC_SHA1_80"
	// SRTPAES128SHA1_32 is the same with a 32-bit tag.
	SRTPAES128SHA1_32 = "AES_CM_128_HMAC_SHA1_32"
)

// SRTP key geometry for the AES_CM_128 suites (RFC 3711 section 8.2).
const (
	srtpMasterKeyLen  = 16
	srtpMasterSaltLen = 14
	// SRTPKeyLen is the length of an SDES inline key: master key then
	// master salt (RFC 4568 section 6.1).
	SRTPKeyLen = srtpMasterKeyLen + srtpMasterSaltLen
	// srtpReplayWindow is the replay list size (RFC 3711 section 3.3.2
	// asks for at least 64).
	srtpReplayWindow = 128
)

// SRTPConfig holds SDES keys (RFC 4568) for one stream.
type SRTPConfig struct {
	// Profile is the crypto suite, SRTPAES128SHA1_80 or
	// SRTPAES128SHA1_32.
	Profile string
	// LocalKey is our master key and salt (30 bytes), used to protect what
	// we send; RemoteKey is the peer's, used to unprotect what we receive.
	LocalKey, RemoteKey []byte
}

// NewSRTPKey returns a fresh random master key and salt, SRTPKeyLen
// bytes, for the inline key of an SDES a=crypto line.
func NewSRTPKey() ([]byte, error) {
	key := make([]byte, SRTPKeyLen)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("media: generate srtp key: %w", err)
	}
	return key, nil
}

// srtpProfile maps an SDES suite name to pion's profile.
func srtpProfile(name string) (srtp.ProtectionProfile, bool) {
	switch name {
	case SRTPAES128SHA1_80:
		return srtp.ProtectionProfileAes128CmHmacSha1_80, true
	case SRTPAES128SHA1_32:
		return srtp.ProtectionProfileAes128CmHmacSha1_32, true
	}
	return 0, false
}

// srtpSession protects what a stream sends and unprotects what it
// receives (RFC 3711 section 3.3). The two directions have separate
// contexts and buffers: protect runs only on the clock's goroutine and
// unprotect only on the receive goroutine, so neither needs a lock.
type srtpSession struct {
	local, remote *srtp.Context
	sendHdr       rtp.Header
	recvHdr       rtp.Header
	recvBuf       []byte
}

// newSRTPSession validates cfg and derives both contexts.
func newSRTPSession(cfg *SRTPConfig) (*srtpSession, error) {
	profile, ok := srtpProfile(cfg.Profile)
	if !ok {
		return nil, fmt.Errorf("srtp profile %q: %w", cfg.Profile, ErrSRTPConfig)
	}
	if len(cfg.LocalKey) != SRTPKeyLen || len(cfg.RemoteKey) != SRTPKeyLen {
		return nil, fmt.Errorf("srtp keys of %d and %d bytes, want %d: %w",
			len(cfg.LocalKey), len(cfg.RemoteKey), SRTPKeyLen, ErrSRTPConfig)
	}

	local, err := srtp.CreateContext(cfg.LocalKey[:srtpMasterKeyLen],
		cfg.LocalKey[srtpMasterKeyLen:], profile)
	if err != nil {
		return nil, fmt.Errorf("srtp local context: %w", err)
	}
	remote, err := srtp.CreateContext(cfg.RemoteKey[:srtpMasterKeyLen],
		cfg.RemoteKey[srtpMasterKeyLen:], profile,
		srtp.SRTPReplayProtection(srtpReplayWindow))
	if err != nil {
		return nil, fmt.Errorf("srtp remote context: %w", err)
	}
	return &srtpSession{
		local:   local,
		remote:  remote,
		sendHdr: rtp.Header{CSRC: make([]uint32, 0, 15)},
		recvHdr: rtp.Header{CSRC: make([]uint32, 0, 15)},
		recvBuf: make([]byte, 0, recvBufferSize),
	}, nil
}

// protect encrypts the RTP packet pkt in place and appends the
// authentication tag; pkt must have room for srtpOverhead more bytes.
func (s *srtpSession) protect(pkt []byte) ([]byte, error) {
	return s.local.EncryptRTP(pkt[:len(pkt):cap(pkt)], pkt, &s.sendHdr)
}

// unprotect authenticates and decrypts pkt into a buffer of the session
// that stays valid until the next call.
func (s *srtpSession) unprotect(pkt []byte) ([]byte, error) {
	return s.remote.DecryptRTP(s.recvBuf[:0], pkt, &s.recvHdr)
}

// srtpOverhead is the most an SRTP packet adds to an RTP one: the 80-bit
// tag (RFC 3711 section 3.1, no MKI).
const srtpOverhead = 10
