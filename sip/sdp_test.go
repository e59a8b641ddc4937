package sip

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"

	"github.com/voiced/voiced/media"
)

// sdpLines joins lines with CRLF as SDP wants.
func sdpLines(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

const testKey = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz" // 30 bytes

func offerWith(conn string, media ...string) []byte {
	lines := []string{"v=0", "o=peer 1 1 IN IP4 192.0.2.10", "s=-"}
	if conn != "" {
		lines = append(lines, conn)
	}
	lines = append(lines, "t=0 0")
	return sdpLines(append(lines, media...)...)
}

func TestNegotiate(t *testing.T) {
	pcmu := media.Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000, Channels: 1, SampleRate: 8000}
	tests := []struct {
		name        string
		offer       []byte
		policy      offerPolicy
		wantCodec   string
		wantPT      uint8
		wantDTMF    uint8
		wantRemote  string
		wantDir     direction
		wantHold    bool
		wantIndex   int
		wantCrypto  bool
		wantCode    int
		wantWarning int
	}{
		{
			name: "static pcmu only",
			offer: offerWith("c=IN IP4 192.0.2.10",
				"m=audio 4000 RTP/AVP 0"),
			wantCodec: "PCMU", wantPT: 0, wantRemote: "192.0.2.10:4000", wantDir: sendrecv,
		},
		{
			name: "our preference beats the peer's order",
			offer: offerWith("c=IN IP4 192.0.2.10",
				"m=audio 4000 RTP/AVP 0 8 9 101",
				"a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"),
			wantCodec: "G722", wantPT: 9, wantDTMF: 101, wantRemote: "192.0.2.10:4000",
			wantDir: sendrecv,
		},
		{
			name: "opus with a dynamic payload type",
			offer: offerWith("c=IN IP4 192.0.2.10",
				"m=audio 4000 RTP/AVP 0 96 97",
				"a=rtpmap:96 OPUS/48000/2", "a=rtpmap:97 telephone-event/8000"),
			wantCodec: "opus", wantPT: 96, wantDTMF: 97, wantRemote: "192.0.2.10:4000",
			wantDir: sendrecv,
		},
		{
			name: "opus without two channels is not opus",
			offer: offerWith("c=IN IP4 192.0.2.10",
				"m=audio 4000 RTP/AVP 96 8", "a=rtpmap:96 opus/48000"),
			wantCodec: "PCMA", wantPT: 8, wantRemote: "192.0.2.10:4000", wantDir: sendrecv,
		},
		{
			name: "telephone-event at the codec's rate wins",
			offer: offerWith("c=IN IP4 192.0.2.10",
				"m=audio 4000 RTP/AVP 96 100 101", "a=rtpmap:96 opus/48000/2",
				"a=rtpmap:100 telephone-event/8000", "a=rtpmap:101 telephone-event/48000"),
			wantCodec: "opus", wantPT: 96, wantDTMF: 101, wantRemote: "192.0.2.10:4000",
			wantDir: sendrecv,
		},
		{
			name: "media-level c= wins and ipv6 works",
			offer: offerWith("c=IN IP4 192.0.2.10",
				"m=audio 5000 RTP/AVP 8", "c=IN IP6 2001:db8::7"),
			wantCodec: "PCMA", wantPT: 8, wantRemote: "[2001:db8::7]:5000", wantDir: sendrecv,
		},
		{
			name:      "sendonly is hold",
			offer:     offerWith("c=IN IP4 192.0.2.10", "m=audio 4000 RTP/AVP 0", "a=sendonly"),
			wantCodec: "PCMU", wantRemote: "192.0.2.10:4000", wantDir: sendonly, wantHold: true,
		},
		{
			name:      "session-level inactive",
			offer:     offerWith("c=IN IP4 192.0.2.10", "a=inactive", "m=audio 4000 RTP/AVP 0"),
			wantCodec: "PCMU", wantRemote: "192.0.2.10:4000", wantDir: inactive, wantHold: true,
		},
		{
			name:      "zero address is old-style hold",
			offer:     offerWith("c=IN IP4 0.0.0.0", "m=audio 4000 RTP/AVP 0"),
			wantCodec: "PCMU", wantDir: sendrecv, wantHold: true,
		},
		{
			name: "video first, rejected port 0 audio skipped",
			offer: offerWith("c=IN IP4 192.0.2.10",
				"m=video 6000 RTP/AVP 96", "a=rtpmap:96 H264/90000",
				"m=audio 0 RTP/AVP 0",
				"m=audio 4002 RTP/AVP 8"),
			wantCodec: "PCMA", wantPT: 8, wantRemote: "192.0.2.10:4002", wantDir: sendrecv,
			wantIndex: 2,
		},
		{
			name: "srtp with a supported suite",
			offer: offerWith("c=IN IP4 192.0.2.10",
				"m=audio 4000 RTP/SAVP 0",
				"a=crypto:1 AES_CM_256_HMAC_SHA1_80 inline:"+testKey,
				"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"+testKey+"|2^20"),
			wantCodec: "PCMU", wantRemote: "192.0.2.10:4000", wantDir: sendrecv, wantCrypto: true,
		},
		{
			name: "best-effort srtp falls back to the plain line",
			offer: offerWith("c=IN IP4 192.0.2.10",
				"m=audio 4000 RTP/SAVP 0", "a=crypto:1 F8_128_HMAC_SHA1_80 inline:"+testKey,
				"m=audio 4000 RTP/AVP 0"),
			wantCodec: "PCMU", wantRemote: "192.0.2.10:4000", wantDir: sendrecv, wantIndex: 1,
		},
		{
			name:      "re-offer keeps the current codec",
			offer:     offerWith("c=IN IP4 192.0.2.10", "m=audio 4000 RTP/AVP 9 0"),
			policy:    offerPolicy{current: &pcmu},
			wantCodec: "PCMU", wantRemote: "192.0.2.10:4000", wantDir: sendrecv,
		},
		{
			name:     "only g729",
			offer:    offerWith("c=IN IP4 192.0.2.10", "m=audio 4000 RTP/AVP 18"),
			wantCode: 488, wantWarning: 305,
		},
		{
			name:     "no audio",
			offer:    offerWith("c=IN IP4 192.0.2.10", "m=video 4000 RTP/AVP 96"),
			wantCode: 488, wantWarning: 304,
		},
		{
			name:     "savp without crypto",
			offer:    offerWith("c=IN IP4 192.0.2.10", "m=audio 4000 RTP/SAVP 0"),
			wantCode: 488, wantWarning: 302,
		},
		{
			name: "crypto with an mki",
			offer: offerWith("c=IN IP4 192.0.2.10", "m=audio 4000 RTP/SAVP 0",
				"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+testKey+"|2^20|1:4"),
			wantCode: 488, wantWarning: 302,
		},
		{
			name:     "plain rtp when srtp is required",
			offer:    offerWith("c=IN IP4 192.0.2.10", "m=audio 4000 RTP/AVP 0"),
			policy:   offerPolicy{requireSRTP: true},
			wantCode: 488, wantWarning: 302,
		},
		{
			name:     "dtls is not sdes",
			offer:    offerWith("c=IN IP4 192.0.2.10", "m=audio 4000 UDP/TLS/RTP/SAVPF 111"),
			wantCode: 488, wantWarning: 302,
		},
		{
			name:     "multicast",
			offer:    offerWith("c=IN IP4 224.2.1.1/127", "m=audio 4000 RTP/AVP 0"),
			wantCode: 488, wantWarning: 301,
		},
		{
			name:     "no c= line",
			offer:    offerWith("", "m=audio 4000 RTP/AVP 0"),
			wantCode: 400,
		},
		{
			name:     "not sdp",
			offer:    []byte("hello"),
			wantCode: 400,
		},
		{
			name:     "payload type out of range",
			offer:    offerWith("c=IN IP4 192.0.2.10", "m=audio 4000 RTP/AVP 300"),
			wantCode: 400,
		},
		{
			name: "bad rtpmap clock",
			offer: offerWith("c=IN IP4 192.0.2.10",
				"m=audio 4000 RTP/AVP 96", "a=rtpmap:96 opus/fast/2"),
			wantCode: 400,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy
			p.codecs = defaultCodecs()
			got, err := negotiate(tt.offer, p)
			if tt.wantCode != 0 {
				checkStatus(t, err, tt.wantCode, tt.wantWarning)
				return
			}
			if err != nil {
				t.Fatalf("negotiate: got error %v, want none", err)
			}
			if got.codec.Name != tt.wantCodec || got.codec.PayloadType != tt.wantPT {
				t.Errorf("codec: got %s/%d, want %s/%d",
					got.codec.Name, got.codec.PayloadType, tt.wantCodec, tt.wantPT)
			}
			if got.dtmfPT != tt.wantDTMF {
				t.Errorf("dtmf payload type: got %d, want %d", got.dtmfPT, tt.wantDTMF)
			}
			wantRemote := netip.AddrPort{}
			if tt.wantRemote != "" {
				wantRemote = netip.MustParseAddrPort(tt.wantRemote)
			}
			if got.remote != wantRemote {
				t.Errorf("remote: got %v, want %v", got.remote, wantRemote)
			}
			if got.dir != tt.wantDir || got.hold() != tt.wantHold {
				t.Errorf("direction: got %s hold %v, want %s hold %v",
					got.dir, got.hold(), tt.wantDir, tt.wantHold)
			}
			if got.index != tt.wantIndex {
				t.Errorf("m= line: got %d, want %d", got.index, tt.wantIndex)
			}
			if (got.crypto != nil) != tt.wantCrypto {
				t.Errorf("crypto: got %v, want present %v", got.crypto, tt.wantCrypto)
			}
		})
	}
}

func checkStatus(t *testing.T, err error, code, warning int) {
	t.Helper()
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("got error %v, want a *StatusError %d", err, code)
	}
	if se.Code != code {
		t.Fatalf("status: got %d (%v), want %d", se.Code, err, code)
	}
	gotWarning := 0
	if se.Warning != nil {
		gotWarning = se.Warning.Code
	}
	if gotWarning != warning {
		t.Errorf("warning: got %d, want %d", gotWarning, warning)
	}
	if strings.ContainsAny(se.Reason, "\r\n") {
		t.Errorf("reason %q spans lines", se.Reason)
	}
}

func TestMarshalAnswer(t *testing.T) {
	offerBody := offerWith("c=IN IP4 192.0.2.10",
		"m=video 6000 RTP/AVP 96",
		"m=audio 4000 RTP/SAVP 0 101", "a=rtpmap:101 telephone-event/8000",
		"a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:"+testKey, "a=sendonly")
	o, err := negotiate(offerBody, offerPolicy{codecs: defaultCodecs()})
	if err != nil {
		t.Fatalf("negotiate: %v", err)
	}
	key := make([]byte, sdesKeyLen)
	s := sdpSession{id: 42, version: 3, addr: netip.MustParseAddr("198.51.100.1"), port: 20002}
	body := s.marshalAnswer(answerSpec{offer: o, key: key, dir: o.dir.reciprocal()})

	var sd sdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		t.Fatalf("answer does not parse: %v\n%s", err, body)
	}
	if got, want := len(sd.MediaDescriptions), 2; got != want {
		t.Fatalf("m= lines: got %d, want %d", got, want)
	}
	if got := sd.MediaDescriptions[0].MediaName.Port.Value; got != 0 {
		t.Errorf("video port: got %d, want 0", got)
	}
	audio := sd.MediaDescriptions[1]
	checks := []struct{ name, got, want string }{
		{"origin", sd.Origin.String(), "voiced 42 3 IN IP4 198.51.100.1"},
		{"m=", audio.MediaName.String(), "audio 20002 RTP/SAVP 0 101"},
		{"direction", string(directionOf(audio.Attributes, sendrecv)), "recvonly"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	crypto, _ := audio.Attribute("crypto")
	c, err := parseCrypto(crypto)
	if err != nil || c.tag != 7 || c.suite != suite32 {
		t.Errorf("crypto: got %q (%v), want tag 7 with %s", crypto, err, suite32)
	}
	if ptime, _ := audio.Attribute("ptime"); ptime != "20" {
		t.Errorf("ptime: got %q, want 20", ptime)
	}
}

func TestMarshalOfferParses(t *testing.T) {
	s := sdpSession{id: 1, version: 1, addr: netip.MustParseAddr("2001:db8::1"), port: 20000}
	body := s.marshalOffer(defaultCodecs(), protoAVP, nil)
	o, err := negotiate(body, offerPolicy{codecs: defaultCodecs()})
	if err != nil {
		t.Fatalf("our own offer is not acceptable: %v\n%s", err, body)
	}
	if got, want := o.codec.Name, "opus"; got != want {
		t.Errorf("codec: got %s, want %s", got, want)
	}
	if got, want := o.dtmfPT, media.TelephoneEvent.PayloadType; got != want {
		t.Errorf("dtmf: got %d, want %d", got, want)
	}
}

func TestParseCrypto(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey, false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^31", false},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + "|2^20|1:4", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKey + " KDR=1", true},
		{"1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=", true},
		{"x AES_CM_128_HMAC_SHA1_80 inline:" + testKey, true},
		{"1 AES_CM_128_HMAC_SHA1_80 " + testKey, true},
		{"", true},
	}
	for _, tt := range tests {
		_, err := parseCrypto(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseCrypto(%q): got error %v, want error %v", tt.in, err, tt.wantErr)
		}
	}
}

func TestReciprocal(t *testing.T) {
	tests := []struct{ in, want direction }{
		{sendrecv, sendrecv}, {sendonly, recvonly}, {recvonly, sendonly}, {inactive, inactive},
	}
	for _, tt := range tests {
		if got := tt.in.reciprocal(); got != tt.want {
			t.Errorf("%s.reciprocal(): got %s, want %s", tt.in, got, tt.want)
		}
	}
}

func FuzzNegotiate(f *testing.F) {
	f.Add(offerWith("c=IN IP4 192.0.2.10", "m=audio 4000 RTP/AVP 0 8 9 101",
		"a=rtpmap:101 telephone-event/8000"))
	f.Add(offerWith("c=IN IP6 ::1", "m=audio 4000 RTP/SAVP 96",
		"a=rtpmap:96 opus/48000/2", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+testKey))
	f.Add(offerWith("c=IN IP4 0.0.0.0", "a=sendonly", "m=video 0 RTP/AVP 96",
		"m=audio 1 RTP/AVP 300"))
	f.Add([]byte("v=0\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := negotiate(body, offerPolicy{codecs: defaultCodecs()})
		if err != nil {
			var se *StatusError
			if !errors.As(err, &se) || se.Code != 400 && se.Code != 488 {
				t.Fatalf("got error %v, want a 400 or 488", err)
			}
			return
		}
		s := sdpSession{id: 1, version: 2, addr: netip.MustParseAddr("192.0.2.1"), port: 20000}
		answer := s.marshalAnswer(answerSpec{offer: o, key: make([]byte, sdesKeyLen),
			dir: o.dir.reciprocal()})
		var sd sdp.SessionDescription
		if err := sd.Unmarshal(answer); err != nil {
			t.Fatalf("answer to an accepted offer does not parse: %v\n%s", err, answer)
		}
	})
}
