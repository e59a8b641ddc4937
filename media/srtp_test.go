package media

import (
	"bytes"
	"testing"
	"time"
)

func mustKey(t testing.TB) []byte {
	t.Helper()
	k, err := NewSRTPKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(k) != SRTPKeyLen {
		t.Fatalf("key of %d bytes, want %d", len(k), SRTPKeyLen)
	}
	return k
}

func TestNewSRTPKeyIsRandom(t *testing.T) {
	if a, b := mustKey(t), mustKey(t); bytes.Equal(a, b) {
		t.Errorf("two keys are equal: %x", a)
	}
}

func TestSRTPRoundTrip(t *testing.T) {
	for _, profile := range []string{SRTPAES128SHA1_80, SRTPAES128SHA1_32} {
		t.Run(profile, func(t *testing.T) {
			k1, k2 := mustKey(t), mustKey(t)
			a, err := newSRTPSession(&SRTPConfig{Profile: profile, LocalKey: k1, RemoteKey: k2})
			if err != nil {
				t.Fatal(err)
			}
			b, err := newSRTPSession(&SRTPConfig{Profile: profile, LocalKey: k2, RemoteKey: k1})
			if err != nil {
				t.Fatal(err)
			}

			plain := testPacket(t, 0, 7, 42, bytes.Repeat([]byte{0x55}, 160))
			buf := make([]byte, len(plain), len(plain)+srtpOverhead)
			copy(buf, plain)
			sealed, err := a.protect(buf)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(sealed[12:len(plain)], plain[12:]) {
				t.Errorf("payload not encrypted")
			}
			opened, err := b.unprotect(sealed)
			if err != nil {
				t.Fatalf("unprotect: %v", err)
			}
			if !bytes.Equal(opened, plain) {
				t.Errorf("round trip changed the packet")
			}
			if _, err := b.unprotect(sealed); err == nil {
				t.Errorf("replayed packet accepted")
			}
			if _, err := a.unprotect(sealed); err == nil {
				t.Errorf("packet accepted under the wrong key")
			}
		})
	}
}

func srtpPair(k1, k2 []byte) func(i int, cfg *StreamConfig) {
	return func(i int, cfg *StreamConfig) {
		local, remote := k1, k2
		if i == 1 {
			local, remote = k2, k1
		}
		cfg.SRTP = &SRTPConfig{Profile: SRTPAES128SHA1_80, LocalKey: local, RemoteKey: remote}
	}
}

func TestStreamSRTP(t *testing.T) {
	checkGoroutines(t)
	k1, k2 := mustKey(t), mustKey(t)
	heardByA, heardByB := newSink(10), newSink(10)
	digits := make(chan rune, 4)
	keys := srtpPair(k1, k2)
	a, b := pair(t, func(i int, cfg *StreamConfig) {
		keys(i, cfg)
		cfg.OnAudio = []func([]int16){heardByA.onAudio, heardByB.onAudio}[i]
		cfg.OnDTMF = func(d rune) { digits <- d }
	})
	a.Playout().Enqueue(sine(440, 2*time.Second))
	b.Playout().Enqueue(sine(1000, 2*time.Second))
	checkTone(t, "a to b", heardByB.wait(t, "a to b"), 440)
	checkTone(t, "b to a", heardByA.wait(t, "b to a"), 1000)
	if err := a.SendDTMF('7'); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-digits:
		if d != '7' {
			t.Errorf("digit = %q, want '7'", d)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("no digit over srtp")
	}
	for _, s := range []runningStream{a, b} {
		if got := s.Stats().DroppedBy["srtp"]; got != 0 {
			t.Errorf("srtp drops = %d, want 0", got)
		}
	}
}

func TestStreamSRTPWrongKey(t *testing.T) {
	checkGoroutines(t)
	k1, k2, wrong := mustKey(t), mustKey(t), mustKey(t)
	keys := srtpPair(k1, k2)
	heard := newSink(1)
	a, b := pair(t, func(i int, cfg *StreamConfig) {
		keys(i, cfg)
		if i == 0 {
			cfg.SRTP.LocalKey = wrong // b cannot authenticate what a sends
		} else {
			cfg.OnAudio = heard.onAudio
		}
	})
	a.Playout().Enqueue(sine(440, 2*time.Second))
	waitFor(t, "srtp drops", func() bool { return b.Stats().DroppedBy["srtp"] >= 20 })
	if got := b.Stats().PacketsIn; got != 0 {
		t.Errorf("b accepted %d packets under the wrong key, want 0", got)
	}
	select {
	case <-heard.full:
		t.Errorf("b played audio it could not authenticate")
	default:
	}
}

func BenchmarkSRTPProtect(b *testing.B) {
	s, err := newSRTPSession(&SRTPConfig{Profile: SRTPAES128SHA1_80,
		LocalKey: mustKey(b), RemoteKey: mustKey(b)})
	if err != nil {
		b.Fatal(err)
	}
	plain := testPacket(b, 0, 0, 1, make([]byte, 160))
	buf := make([]byte, len(plain), len(plain)+srtpOverhead)
	b.ReportAllocs()
	seq := uint16(0)
	for b.Loop() {
		copy(buf, plain)
		buf[2], buf[3] = byte(seq>>8), byte(seq)
		seq++
		if _, err := s.protect(buf[:len(plain)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSRTPUnprotect(b *testing.B) {
	k1, k2 := mustKey(b), mustKey(b)
	tx, err := newSRTPSession(&SRTPConfig{Profile: SRTPAES128SHA1_80, LocalKey: k1, RemoteKey: k2})
	if err != nil {
		b.Fatal(err)
	}
	rx, err := newSRTPSession(&SRTPConfig{Profile: SRTPAES128SHA1_80, LocalKey: k2, RemoteKey: k1})
	if err != nil {
		b.Fatal(err)
	}
	const n = 1 << 14
	sealed := make([][]byte, n)
	for i := range sealed {
		p := testPacket(b, 0, uint16(i), 1, make([]byte, 160))
		p = append(p, make([]byte, srtpOverhead)...)[:len(p)]
		if sealed[i], err = tx.protect(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == n {
			b.StopTimer()
			rx, _ = newSRTPSession(&SRTPConfig{Profile: SRTPAES128SHA1_80,
				LocalKey: k2, RemoteKey: k1})
			i = 0
			b.StartTimer()
		}
		if _, err := rx.unprotect(sealed[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
