package media

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestStreamsTalk(t *testing.T) {
	codecs := []Codec{PCMU, PCMA, G722, Opus}
	for _, codec := range codecs {
		t.Run(codec.Name, func(t *testing.T) {
			checkGoroutines(t)
			heardByB, heardByA := newSink(10), newSink(10)
			a, b := pair(t, func(i int, cfg *StreamConfig) {
				cfg.Codec = codec
				cfg.OnAudio = []func([]int16){heardByA.onAudio, heardByB.onAudio}[i]
			})
			a.Playout().Enqueue(sine(440, 2*time.Second))
			b.Playout().Enqueue(sine(1000, 2*time.Second))

			checkTone(t, "a to b", heardByB.wait(t, "a to b"), 440)
			checkTone(t, "b to a", heardByA.wait(t, "b to a"), 1000)
			stats := b.Stats()
			if stats.PacketsIn == 0 || stats.BytesIn == 0 || stats.Dropped != 0 {
				t.Errorf("b stats = %+v, want packets in and none dropped", stats)
			}
			if got := a.Stats().PacketsOut; got == 0 {
				t.Errorf("a sent %d packets, want some", got)
			}
		})
	}
}

func TestStreamDTMF(t *testing.T) {
	checkGoroutines(t)
	digits := make(chan rune, 16)
	a, _ := pair(t, func(i int, cfg *StreamConfig) {
		if i == 1 {
			cfg.OnDTMF = func(d rune) { digits <- d }
		}
	})
	for _, d := range "1#9" {
		if err := a.SendDTMF(d); err != nil {
			t.Fatalf("SendDTMF(%q): %v", d, err)
		}
	}
	if err := a.SendDTMF('x'); !errors.Is(err, ErrNotDigit) {
		t.Errorf("SendDTMF('x') = %v, want ErrNotDigit", err)
	}

	var got strings.Builder
	timeout := time.After(5 * time.Second)
	for got.Len() < 3 {
		select {
		case d := <-digits:
			got.WriteRune(d)
		case <-timeout:
			t.Fatalf("digits = %q, want \"1#9\"", got.String())
		}
	}
	select {
	case d := <-digits:
		got.WriteRune(d)
	case <-time.After(300 * time.Millisecond):
	}
	if got.String() != "1#9" {
		t.Errorf("digits = %q, want \"1#9\", each once", got.String())
	}
}

func TestStreamWithoutDTMF(t *testing.T) {
	checkGoroutines(t)
	a, _ := pair(t, func(i int, cfg *StreamConfig) { cfg.DTMFPayloadType = 0 })
	if err := a.SendDTMF('1'); !errors.Is(err, ErrDTMFUnavailable) {
		t.Errorf("SendDTMF = %v, want ErrDTMFUnavailable", err)
	}
}

func TestStreamLatches(t *testing.T) {
	checkGoroutines(t)
	clock := startClock(t)
	nowhere := listenLoopback(t)
	wrong := addrOf(nowhere)
	nowhere.Close()

	heardByA := newSink(5)
	connA, connB := listenLoopback(t), listenLoopback(t)
	a := startStream(t, StreamConfig{Conn: connA, Remote: addrOf(connB), Codec: PCMU,
		Clock: clock, OnAudio: heardByA.onAudio})
	b := startStream(t, StreamConfig{Conn: connB, Remote: wrong, Codec: PCMU, Clock: clock})
	a.Playout().Enqueue(sine(440, 3*time.Second))
	b.Playout().Enqueue(sine(700, 3*time.Second))

	// B's SDP address is wrong, yet A hears B: B latched onto A's packets.
	checkTone(t, "b to a after latching", heardByA.wait(t, "b to a"), 700)

	third := listenLoopback(t)
	defer third.Close()
	for seq := range uint16(10) {
		if _, err := third.WriteToUDPAddrPort(
			testPacket(t, 0, seq, 99, make([]byte, 160)), b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "bad_source drops", func() bool {
		return b.Stats().DroppedBy["bad_source"] == 10
	})
}

func TestStreamSetRemoteRelatches(t *testing.T) {
	checkGoroutines(t)
	peer1, peer2 := listenLoopback(t), listenLoopback(t)
	defer peer1.Close()
	defer peer2.Close()
	s := startStream(t, StreamConfig{Remote: addrOf(peer1), Codec: PCMU})

	send := func(c *net.UDPConn, seq uint16) {
		t.Helper()
		if _, err := c.WriteToUDPAddrPort(testPacket(t, 0, seq, 1, make([]byte, 160)),
			s.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	send(peer1, 1)
	waitFor(t, "first packet", func() bool { return s.Stats().PacketsIn == 1 })
	send(peer2, 2)
	waitFor(t, "stranger dropped", func() bool { return s.Stats().DroppedBy["bad_source"] == 1 })

	s.SetRemote(addrOf(peer2))
	send(peer2, 3)
	waitFor(t, "new peer accepted", func() bool { return s.Stats().PacketsIn == 2 })
}

func TestStreamDropsMalformed(t *testing.T) {
	checkGoroutines(t)
	peer := listenLoopback(t)
	defer peer.Close()
	s := startStream(t, StreamConfig{Remote: addrOf(peer), Codec: PCMU})

	valid := func(seq uint16) []byte { return testPacket(t, 0, seq, 5, make([]byte, 160)) }
	version1 := valid(6)
	version1[0] = 1 << 6
	padding := valid(7)
	padding[0] |= 0x20
	padding[len(padding)-1] = 200 // more padding than payload
	csrc := valid(8)[:20]
	csrc[0] |= 0x0f // fifteen CSRCs in a 20-byte packet
	extension := valid(9)
	extension[0] |= 0x10
	extension[14], extension[15] = 0xff, 0xff // extension far beyond the end
	unknownPT := testPacket(t, 96, 10, 5, make([]byte, 160))

	packets := [][]byte{valid(1), valid(2), version1, padding, csrc, {0x80, 0, 1},
		extension, unknownPT, valid(3), valid(4)}
	for _, p := range packets {
		if _, err := peer.WriteToUDPAddrPort(p, s.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all packets handled", func() bool {
		st := s.Stats()
		return st.PacketsIn+st.Dropped == uint64(len(packets))
	})
	st := s.Stats()
	want := map[string]uint64{"bad_version": 1, "malformed": 4, "unknown_payload_type": 1}
	for reason, n := range want {
		if st.DroppedBy[reason] != n {
			t.Errorf("dropped %s = %d, want %d", reason, st.DroppedBy[reason], n)
		}
	}
	if st.PacketsIn != 4 {
		t.Errorf("packets in = %d, want 4", st.PacketsIn)
	}

	// The stream still talks: it answers the peer it latched onto.
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	n, _, err := peer.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("no packet from the stream: %v", err)
	}
	if reason, ok := parseRTP(buf[:n], &rtpPacket{}); !ok {
		t.Errorf("stream sent a packet its own parser rejects: %v", reason)
	}
}

func TestStreamNoRTPTimeout(t *testing.T) {
	checkGoroutines(t)
	s, err := NewStream(StreamConfig{Conn: listenLoopback(t),
		Remote: netip.MustParseAddrPort("127.0.0.1:9"), Codec: PCMU,
		NoRTPTimeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.Run(context.Background())
	if !errors.Is(err, ErrNoRTP) {
		t.Errorf("Run = %v, want ErrNoRTP", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("Run returned after %v, want about 150ms", d)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after Run: %v", err)
	}
}

func TestStreamHoldSuspendsTimeoutAndSending(t *testing.T) {
	checkGoroutines(t)
	s := startStream(t, StreamConfig{Remote: netip.MustParseAddrPort("127.0.0.1:9"),
		Codec: PCMU, NoRTPTimeout: 150 * time.Millisecond})
	s.SetHold(true)
	sent := s.Stats().PacketsOut
	time.Sleep(400 * time.Millisecond)
	select {
	case err := <-s.runErr:
		t.Fatalf("Run returned %v while on hold", err)
	default:
	}
	if got := s.Stats().PacketsOut; got > sent+1 {
		t.Errorf("sent %d packets on hold, want none", got-sent)
	}
	s.SetHold(false)
	select {
	case err := <-s.runErr:
		if !errors.Is(err, ErrNoRTP) {
			t.Errorf("Run = %v after hold ended, want ErrNoRTP", err)
		}
		s.runErr <- nil // the cleanup expects a result
	case <-time.After(2 * time.Second):
		t.Errorf("Run did not time out after the hold ended")
	}
}

func TestStreamLifecycle(t *testing.T) {
	checkGoroutines(t)
	s, err := NewStream(StreamConfig{Conn: listenLoopback(t), Codec: PCMU})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Run(context.Background()); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("Run after Close = %v, want ErrStreamClosed", err)
	}

	r := startStream(t, StreamConfig{Codec: PCMU})
	waitFor(t, "Run to start", func() bool { return r.Stream.clock.Len() == 1 })
	if err := r.Run(context.Background()); !errors.Is(err, ErrStreamRunning) {
		t.Errorf("second Run = %v, want ErrStreamRunning", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	c, err := NewStream(StreamConfig{Conn: listenLoopback(t), Codec: PCMU})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	if _, err := c.conn.WriteToUDPAddrPort([]byte{0}, c.LocalAddr()); err == nil {
		t.Errorf("socket still open after Run returned")
	}
	c.Close()
}

func TestNewStreamValidates(t *testing.T) {
	conn := listenLoopback(t)
	defer conn.Close()
	tests := []struct {
		name string
		cfg  StreamConfig
		want error
	}{
		{"no socket", StreamConfig{Codec: PCMU}, ErrStreamConfig},
		{"no codec", StreamConfig{Conn: conn}, ErrStreamConfig},
		{"unknown codec", StreamConfig{Conn: conn,
			Codec: Codec{Name: "GSM", ClockRate: 8000, SampleRate: 8000}}, ErrUnsupportedCodec},
		{"shared payload type", StreamConfig{Conn: conn, Codec: PCMU,
			DTMFPayloadType: 0x80}, ErrStreamConfig},
		{"srtp profile", StreamConfig{Conn: conn, Codec: PCMU,
			SRTP: &SRTPConfig{Profile: "AEAD_AES_256_GCM"}}, ErrSRTPConfig},
		{"srtp key", StreamConfig{Conn: conn, Codec: PCMU,
			SRTP: &SRTPConfig{Profile: SRTPAES128SHA1_80, LocalKey: make([]byte, 16),
				RemoteKey: make([]byte, 30)}}, ErrSRTPConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewStream(tt.cfg); !errors.Is(err, tt.want) {
				t.Errorf("NewStream = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestStreamMetrics(t *testing.T) {
	checkGoroutines(t)
	reg := newTestRegistry()
	m := NewMetrics(reg)
	heard := newSink(30)
	a, b := pair(t, func(i int, cfg *StreamConfig) {
		cfg.Metrics = m
		if i == 1 {
			cfg.OnAudio = heard.onAudio
		}
	})
	a.Playout().Enqueue(sine(440, 2*time.Second))
	heard.wait(t, "a to b")
	if got := gathered(t, reg, "voiced_media_streams"); got != 2 {
		t.Errorf("streams gauge = %v, want 2", got)
	}
	a.Close()
	b.Close()
	if got := gathered(t, reg, "voiced_media_streams"); got != 0 {
		t.Errorf("streams gauge after close = %v, want 0", got)
	}
	if got := gathered(t, reg, "voiced_rtp_packets_total", "direction", "in"); got < 30 {
		t.Errorf("packets in = %v, want at least 30", got)
	}
	if got := gathered(t, reg, "voiced_rtp_jitter_seconds"); got != 2 {
		t.Errorf("jitter observations = %v, want 2 (one per stream at close)", got)
	}
}
