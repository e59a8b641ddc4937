package sip

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// SDES crypto suites we support (RFC 4568 section 6.2).
const (
	suite80 = "AES_CM_128_HMAC_SHA1_80"
	suite32 = "AES_CM_128_HMAC_SHA1_32"
)

// sdesKeyLen is the master key (16 bytes) plus master salt (14 bytes) of
// both suites (RFC 4568 section 6.2.1).
const sdesKeyLen = 30

// sdesCrypto is one a=crypto line (RFC 4568 section 9.1).
type sdesCrypto struct {
	tag   int
	suite string
	key   []byte
}

// chooseCrypto returns the first a=crypto line we can use, nil if none
// (RFC 4568 section 7.1.1: the answerer picks one of the offered lines).
func chooseCrypto(attrs []sdp.Attribute) *sdesCrypto {
	for _, a := range attrs {
		if a.Key != "crypto" {
			continue
		}
		if c, err := parseCrypto(a.Value); err == nil {
			return &c
		}
	}
	return nil
}

// parseCrypto reads "<tag> <suite> inline:<key||salt>[|lifetime]". A key
// with an MKI, several keys or session parameters are refused: the media
// layer supports none of them.
func parseCrypto(v string) (sdesCrypto, error) {
	fields := strings.Fields(v)
	if len(fields) != 3 {
		return sdesCrypto{}, fmt.Errorf("crypto %q: want tag, suite and one key", v)
	}
	tag, err := strconv.Atoi(fields[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return sdesCrypto{}, fmt.Errorf("crypto tag %q", fields[0])
	}
	suite := fields[1]
	if suite != suite80 && suite != suite32 {
		return sdesCrypto{}, fmt.Errorf("crypto suite %q", suite)
	}
	inline, ok := strings.CutPrefix(fields[2], "inline:")
	if !ok || strings.Contains(inline, ";") {
		return sdesCrypto{}, fmt.Errorf("crypto key params %q", fields[2])
	}
	parts := strings.Split(inline, "|")
	if len(parts) > 2 || len(parts) == 2 && strings.Contains(parts[1], ":") {
		return sdesCrypto{}, fmt.Errorf("crypto key with mki %q", fields[2])
	}
	key, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil || len(key) != sdesKeyLen {
		return sdesCrypto{}, fmt.Errorf("crypto key is not %d bytes of base64", sdesKeyLen)
	}
	return sdesCrypto{tag: tag, suite: suite, key: key}, nil
}

// attribute formats c as an a=crypto value.
func (c sdesCrypto) attribute() string {
	return fmt.Sprintf("%d %s inline:%s", c.tag, c.suite,
		base64.StdEncoding.EncodeToString(c.key))
}
