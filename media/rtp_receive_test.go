package media

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

func TestParseRTP(t *testing.T) {
	base := []byte{0x80, 0x00, 0x12, 0x34, 0, 0, 1, 0, 0xde, 0xad, 0xbe, 0xef}
	with := func(edit func(p []byte) []byte) []byte {
		return edit(append(append([]byte(nil), base...), 1, 2, 3, 4))
	}
	tests := []struct {
		name        string
		pkt         []byte
		wantOK      bool
		wantReason  dropReason
		wantPayload []byte
	}{
		{"plain", with(func(p []byte) []byte { return p }), true, 0, []byte{1, 2, 3, 4}},
		{"empty payload", base, true, 0, []byte{}},
		{"marker and type", with(func(p []byte) []byte { p[1] = 0x80 | 101; return p }),
			true, 0, []byte{1, 2, 3, 4}},
		{"three bytes", []byte{0x80, 0, 1}, false, dropMalformed, nil},
		{"eleven bytes", base[:11], false, dropMalformed, nil},
		{"version 1", with(func(p []byte) []byte { p[0] = 0x40; return p }),
			false, dropBadVersion, nil},
		{"version 3", with(func(p []byte) []byte { p[0] = 0xc0; return p }),
			false, dropBadVersion, nil},
		{"one csrc", with(func(p []byte) []byte { p[0] |= 1; return p }), true, 0, []byte{}},
		{"csrcs beyond the end", with(func(p []byte) []byte { p[0] |= 2; return p }),
			false, dropMalformed, nil},
		{"padding", with(func(p []byte) []byte { p[0] |= 0x20; p[15] = 2; return p }),
			true, 0, []byte{1, 2}},
		{"padding of the whole payload",
			with(func(p []byte) []byte { p[0] |= 0x20; p[15] = 4; return p }),
			true, 0, []byte{}},
		{"padding beyond the payload",
			with(func(p []byte) []byte { p[0] |= 0x20; p[15] = 5; return p }),
			false, dropMalformed, nil},
		{"padding count zero",
			with(func(p []byte) []byte { p[0] |= 0x20; p[15] = 0; return p }),
			false, dropMalformed, nil},
		{"padding bit without payload",
			func() []byte { p := append([]byte(nil), base...); p[0] |= 0x20; return p }(),
			false, dropMalformed, nil},
		{"extension", with(func(p []byte) []byte {
			p[0] |= 0x10
			return append(p[:12], 0xbe, 0xde, 0, 1, 9, 9, 9, 9, 7)
		}), true, 0, []byte{7}},
		{"extension header cut", with(func(p []byte) []byte {
			p[0] |= 0x10
			return p[:14]
		}), false, dropMalformed, nil},
		{"extension beyond the end", with(func(p []byte) []byte {
			p[0] |= 0x10
			return append(p[:12], 0xbe, 0xde, 0, 2, 9, 9, 9, 9)
		}), false, dropMalformed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p rtpPacket
			reason, ok := parseRTP(tt.pkt, &p)
			if ok != tt.wantOK || !ok && reason != tt.wantReason {
				t.Fatalf("parseRTP = %v, %v, want %v, %v", reason, ok, tt.wantReason, tt.wantOK)
			}
			if !ok {
				return
			}
			if !bytes.Equal(p.payload, tt.wantPayload) {
				t.Errorf("payload = %v, want %v", p.payload, tt.wantPayload)
			}
			if p.seq != 0x1234 || p.timestamp != 256 || p.ssrc != 0xdeadbeef {
				t.Errorf("header = seq %x ts %d ssrc %x, want 1234 256 deadbeef",
					p.seq, p.timestamp, p.ssrc)
			}
		})
	}
}

// newIdleStream returns a stream that is not running, for driving the
// receive path and the tick by hand.
func newIdleStream(t testing.TB, cfg StreamConfig) *Stream {
	t.Helper()
	if cfg.Conn == nil {
		cfg.Conn = listenLoopback(t)
	}
	if cfg.Codec.Name == "" {
		cfg.Codec = PCMU
	}
	s, err := NewStream(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func FuzzRTPReceive(f *testing.F) {
	valid := func(pt uint8, payload []byte) []byte {
		return testPacket(f, pt, 1, 2, payload)
	}
	f.Add(valid(0, make([]byte, 160)))
	f.Add(valid(101, []byte{1, 0x8a, 0, 160}))
	f.Add(valid(101, []byte{1}))
	f.Add([]byte{0x80, 0, 1})
	f.Add([]byte{0xbf, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0xff})
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0xbe, 0xde, 0xff, 0xff})
	f.Add([]byte{0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 3, 200})

	var dtmf []rune
	s := newIdleStream(f, StreamConfig{DTMFPayloadType: 101,
		OnDTMF: func(d rune) { dtmf = append(dtmf, d) }})
	secure := newIdleStream(f, StreamConfig{DTMFPayloadType: 101,
		SRTP: &SRTPConfig{Profile: SRTPAES128SHA1_32, LocalKey: mustKey(f),
			RemoteKey: mustKey(f)}})
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	arrival := time.Duration(0)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		var p rtpPacket
		if _, ok := parseRTP(pkt, &p); ok {
			if len(p.payload) > len(pkt) || cap(p.payload) > cap(pkt) {
				t.Fatalf("payload of %d bytes from a %d-byte packet", len(p.payload), len(pkt))
			}
		}
		arrival += FrameDuration
		s.handlePacket(pkt, from, arrival)
		s.tick()
		secure.handlePacket(pkt, from, arrival)
		if got := secure.Stats().PacketsIn; got != 0 {
			t.Fatalf("srtp stream accepted %d forged packets", got)
		}
		if len(dtmf) > 1000 {
			dtmf = dtmf[:0]
		}
	})
}

func BenchmarkReceivePacket(b *testing.B) {
	s := newIdleStream(b, StreamConfig{})
	pkt := testPacket(b, 0, 0, 7, make([]byte, 160))
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	out := make([]byte, PayloadBufferSize)
	b.ReportAllocs()
	seq := uint16(0)
	for b.Loop() {
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], uint32(seq)*160)
		s.handlePacket(pkt, from, time.Duration(seq)*FrameDuration)
		s.jitter.pop(out)
		seq++
	}
}

func BenchmarkReceivePacketSRTP(b *testing.B) {
	k1, k2 := mustKey(b), mustKey(b)
	tx, err := newSRTPSession(&SRTPConfig{Profile: SRTPAES128SHA1_80, LocalKey: k1, RemoteKey: k2})
	if err != nil {
		b.Fatal(err)
	}
	newRx := func() *Stream {
		return newIdleStream(b, StreamConfig{SRTP: &SRTPConfig{Profile: SRTPAES128SHA1_80,
			LocalKey: k2, RemoteKey: k1}})
	}
	const n = 1 << 14
	sealed := make([][]byte, n)
	for i := range sealed {
		p := testPacket(b, 0, uint16(i), 7, make([]byte, 160))
		p = append(p, make([]byte, srtpOverhead)...)[:len(p)]
		if sealed[i], err = tx.protect(p); err != nil {
			b.Fatal(err)
		}
	}
	s := newRx()
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	out := make([]byte, PayloadBufferSize)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == n {
			b.StopTimer()
			s, i = newRx(), 0
			b.StartTimer()
		}
		s.handlePacket(sealed[i], from, time.Duration(i)*FrameDuration)
		s.jitter.pop(out)
		i++
	}
	if got := s.Stats().Dropped; got != 0 {
		b.Errorf("dropped %d packets", got)
	}
}
