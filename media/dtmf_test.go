package media

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    Event
		wantErr error
	}{
		{"digit 5 start", []byte{5, 10, 0x00, 0xa0}, Event{Code: 5, Volume: 10, Duration: 160}, nil},
		{"hash end", []byte{11, 0x8a, 0x03, 0x20}, Event{Code: 11, End: true, Volume: 10, Duration: 800}, nil},
		{"reserved bit ignored", []byte{1, 0x40 | 7, 0, 0}, Event{Code: 1, Volume: 7}, nil},
		{"all bits", []byte{0xff, 0xff, 0xff, 0xff}, Event{Code: 255, End: true, Volume: 63, Duration: 0xffff}, nil},
		{"flash", []byte{16, 0, 0, 1}, Event{Code: 16, Duration: 1}, nil},
		{"second block ignored", []byte{1, 0, 0, 1, 2, 0, 0, 2}, Event{Code: 1, Duration: 1}, nil},
		{"three bytes", []byte{1, 0, 0}, Event{}, ErrShortEvent},
		{"empty", nil, Event{}, ErrShortEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEvent(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ParseEvent(% x): got error %v, want %v", tc.in, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("ParseEvent(% x): got %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestEventMarshal(t *testing.T) {
	tests := []struct {
		ev   Event
		want []byte
	}{
		{Event{Code: 5, Volume: 10, Duration: 160}, []byte{5, 10, 0x00, 0xa0}},
		{Event{Code: 11, End: true, Volume: 10, Duration: 800}, []byte{11, 0x8a, 0x03, 0x20}},
		{Event{Code: 1, Volume: 0xff}, []byte{1, 0x3f, 0, 0}}, // volume cut to six bits
	}
	for _, tc := range tests {
		got := tc.ev.Marshal([]byte{0xee})
		if !slices.Equal(got[1:], tc.want) || got[0] != 0xee {
			t.Errorf("%+v.Marshal: got % x, want ee % x", tc.ev, got, tc.want)
		}
	}
}

func TestDigitCodes(t *testing.T) {
	const keys = "0123456789*#ABCD"
	for code, key := range keys {
		got, ok := DigitOf(uint8(code))
		if !ok || got != key {
			t.Errorf("DigitOf(%d): got %q, %v, want %q, true", code, got, ok, key)
		}
		back, ok := CodeOf(key)
		if !ok || back != uint8(code) {
			t.Errorf("CodeOf(%q): got %d, %v, want %d, true", key, back, ok, code)
		}
	}
	for _, code := range []uint8{16, 17, 100, 255} {
		if got, ok := DigitOf(code); ok {
			t.Errorf("DigitOf(%d): got %q, true, want false", code, got)
		}
	}
	if got, ok := CodeOf('c'); !ok || got != 14 {
		t.Errorf("CodeOf('c'): got %d, %v, want 14, true", got, ok)
	}
	for _, r := range []rune{'E', 'e', ' ', '+', 'w', 0, '٣'} {
		if got, ok := CodeOf(r); ok {
			t.Errorf("CodeOf(%q): got %d, true, want false", r, got)
		}
	}
}

// dtmfPkt is one telephone-event packet as a receiver sees it.
type dtmfPkt struct {
	ts     uint32
	marker bool
	ev     Event
}

func (p dtmfPkt) payload() []byte { return p.ev.Marshal(nil) }

// pressOf returns the packets DTMFSender's layout gives for one press at
// timestamp ts: start, updates, three ends.
func pressOf(ts uint32, code uint8, ticks int) []dtmfPkt {
	var ps []dtmfPkt
	for i := 1; i <= ticks+2; i++ {
		ps = append(ps, dtmfPkt{ts, i == 1, Event{
			Code: code, End: i >= ticks, Volume: 10, Duration: uint16(160 * min(i, ticks)),
		}})
	}
	return ps
}

func TestDTMFReceiver(t *testing.T) {
	press1 := pressOf(1000, 1, 5)
	press2 := pressOf(3000, 2, 5)
	again1 := pressOf(5000, 1, 5)
	long := pressOf(10000, 9, 3)
	long[len(long)-3].ev.Duration, long[len(long)-3].ev.End = 0xffff, false
	long = long[:len(long)-2]
	segment := []dtmfPkt{
		{10000 + 0xffff, false, Event{Code: 9, Duration: 160}},
		{10000 + 0xffff, false, Event{Code: 9, End: true, Duration: 320}},
		{10000 + 0xffff, false, Event{Code: 9, End: true, Duration: 320}},
		{10000 + 0xffff, false, Event{Code: 9, End: true, Duration: 320}},
	}

	tests := []struct {
		name string
		pkts []dtmfPkt
		want string
	}{
		{"one press", press1, "1"},
		{"two presses", dtmfConcat(press1, press2), "12"},
		{"same key twice", dtmfConcat(press1, again1), "11"},
		{"start lost", dtmfConcat(press1[1:], press2[2:]), "12"},
		{"only ends arrive", dtmfConcat(press1[5:], press2[4:]), "12"},
		{"one end arrives", dtmfConcat(press1[6:], again1[6:]), "11"},
		{"duplicated packets", dtmfConcat(press1, press1, press2[:2], press2), "12"},
		{"late end of the previous press", dtmfConcat(press1[:5], press2[:3], press1[5:], press2[3:]), "12"},
		{"timestamp wraps", dtmfConcat(pressOf(0xffffff00, 3, 5), pressOf(0x100, 4, 5)), "34"},
		{"flash is not a key", dtmfConcat(pressOf(500, 16, 5), press1), "1"},
		{"long event in segments", dtmfConcat(long, segment), "9"},
		{"same key after a gap without marker",
			dtmfConcat(press1[:3], []dtmfPkt{{3000, false, Event{Code: 1, Duration: 160}}}), "11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r DTMFReceiver
			var got []rune
			for _, p := range tc.pkts {
				d, ok, err := r.Receive(p.ts, p.marker, p.payload())
				if err != nil {
					t.Fatalf("Receive: %v", err)
				}
				if ok {
					got = append(got, d)
				}
			}
			if string(got) != tc.want {
				t.Errorf("got digits %q, want %q", string(got), tc.want)
			}
		})
	}
}

func dtmfConcat(parts ...[]dtmfPkt) []dtmfPkt { return slices.Concat(parts...) }

func TestDTMFReceiverMalformed(t *testing.T) {
	var r DTMFReceiver
	if _, ok, err := r.Receive(100, true, []byte{1, 2}); ok || !errors.Is(err, ErrShortEvent) {
		t.Fatalf("Receive of 2 bytes: got %v, %v, want false, ErrShortEvent", ok, err)
	}
	d, ok, err := r.Receive(100, true, Event{Code: 7}.Marshal(nil))
	if err != nil || !ok || d != '7' {
		t.Errorf("Receive after a malformed packet: got %q, %v, %v, want '7', true, nil", d, ok, err)
	}
	r.Reset()
	if d, ok, _ := r.Receive(100, false, Event{Code: 7}.Marshal(nil)); !ok || d != '7' {
		t.Errorf("Receive after Reset: got %q, %v, want '7', true", d, ok)
	}
}

func TestDTMFSender(t *testing.T) {
	tests := []struct {
		name      string
		s         DTMFSender
		digit     rune
		wantDurs  []uint16
		wantEnds  int
		wantCode  uint8
		wantLevel uint8
	}{
		{"default", DTMFSender{}, '5', []uint16{160, 320, 480, 640, 800, 800, 800}, 3, 5, 10},
		{"short at 48 kHz", DTMFSender{ClockRate: 48000, Duration: 40 * time.Millisecond, Volume: 20},
			'#', []uint16{960, 1920, 1920, 1920}, 3, 11, 20},
		{"rounds up to a tick", DTMFSender{Duration: 30 * time.Millisecond}, 'a',
			[]uint16{160, 320, 320, 320}, 3, 12, 10},
		{"one tick", DTMFSender{Duration: time.Millisecond}, '0', []uint16{160, 160, 160}, 3, 0, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pkts, err := tc.s.Packets(nil, tc.digit)
			if err != nil {
				t.Fatalf("Packets: %v", err)
			}
			var durs []uint16
			ends := 0
			for i, p := range pkts {
				ev, err := ParseEvent(p.Payload[:])
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				if p.Marker != (i == 0) {
					t.Errorf("packet %d: got marker %v, want %v", i, p.Marker, i == 0)
				}
				if ev.Code != tc.wantCode || ev.Volume != tc.wantLevel {
					t.Errorf("packet %d: got code %d volume %d, want %d and %d",
						i, ev.Code, ev.Volume, tc.wantCode, tc.wantLevel)
				}
				if ev.End {
					ends++
				} else if ends > 0 {
					t.Errorf("packet %d: got an update after an end packet", i)
				}
				durs = append(durs, ev.Duration)
			}
			if !slices.Equal(durs, tc.wantDurs) || ends != tc.wantEnds {
				t.Errorf("got durations %v with %d ends, want %v with %d", durs, ends, tc.wantDurs, tc.wantEnds)
			}
		})
	}

	if _, err := (DTMFSender{}).Packets(nil, 'x'); !errors.Is(err, ErrNotDigit) {
		t.Errorf("Packets('x'): got %v, want ErrNotDigit", err)
	}
	long, _ := DTMFSender{Duration: time.Minute}.Packets(nil, '1')
	if last, _ := ParseEvent(long[len(long)-1].Payload[:]); last.Duration < 0xffff-160 {
		t.Errorf("a minute's press: got final duration %d, want it capped near 0xffff", last.Duration)
	}
}

// TestDTMFSenderReceiver sends a dialled string with the sender's layout
// and checks that the receiver hears it once, even with every packet
// sent twice.
func TestDTMFSenderReceiver(t *testing.T) {
	const dialled = "0123456789*#ABCD11"
	var s DTMFSender
	var r DTMFReceiver
	var got []rune
	var pkts []DTMFPacket
	ts := uint32(0xfffff000)
	for _, key := range dialled {
		pkts, _ = s.Packets(pkts[:0], key)
		for _, p := range pkts {
			for range 2 {
				d, ok, err := r.Receive(ts, p.Marker, p.Payload[:])
				if err != nil {
					t.Fatalf("Receive: %v", err)
				}
				if ok {
					got = append(got, d)
				}
			}
		}
		ts += uint32(len(pkts)+3) * 160 // the press, then a pause
	}
	if string(got) != dialled {
		t.Errorf("got %q, want %q", string(got), dialled)
	}
}

func TestDTMFAllocs(t *testing.T) {
	var s DTMFSender
	buf := make([]DTMFPacket, 0, 16)
	var r DTMFReceiver
	payload := Event{Code: 3, Duration: 160}.Marshal(nil)
	ts := uint32(0)
	got := testing.AllocsPerRun(100, func() {
		buf, _ = s.Packets(buf[:0], '7')
		ts += 2000
		r.Receive(ts, true, payload)
	})
	if got != 0 {
		t.Errorf("got %v allocs per press, want 0", got)
	}
}

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte{5, 10, 0x00, 0xa0})
	f.Add([]byte{11, 0x8a, 0x03, 0x20})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, p []byte) {
		ev, err := ParseEvent(p)
		if len(p) < EventSize {
			if !errors.Is(err, ErrShortEvent) {
				t.Fatalf("ParseEvent of %d bytes: got %v, want ErrShortEvent", len(p), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseEvent(% x): %v", p, err)
		}
		if ev.Volume > 63 {
			t.Fatalf("ParseEvent(% x): got volume %d, want at most 63", p, ev.Volume)
		}
		want := []byte{p[0], p[1] &^ 0x40, p[2], p[3]} // R bit cleared
		if got := ev.Marshal(nil); !slices.Equal(got, want) {
			t.Fatalf("Marshal(ParseEvent(% x)): got % x, want % x", p, got, want)
		}
	})
}

// FuzzDTMFReceiver feeds packets made of 7-byte records: timestamp
// offset (2), marker (1), payload (4). Offsets count from a base just
// below the 32-bit wrap and span less than half the timestamp space, so
// "earlier" is never ambiguous. The receiver must not fail on them, must
// not report two digits for one timestamp, and must not report a packet
// it has just been given again.
func FuzzDTMFReceiver(f *testing.F) {
	const base = 0xffff8000
	var seed []byte
	for _, p := range dtmfConcat(pressOf(base+1000, 1, 5), pressOf(base+3000, 1, 3)[1:]) {
		seed = binary.BigEndian.AppendUint16(seed, uint16(p.ts-base))
		seed = append(seed, dtmfBit(p.marker))
		seed = p.ev.Marshal(seed)
	}
	f.Add(seed)
	f.Add([]byte{0, 0, 1, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r DTMFReceiver
		reported := map[uint32]bool{}
		for ; len(data) >= 7; data = data[7:] {
			ts := base + uint32(binary.BigEndian.Uint16(data))
			marker := data[2]&1 != 0
			_, ok, err := r.Receive(ts, marker, data[3:7])
			if err != nil {
				t.Fatalf("Receive: %v", err)
			}
			if ok && reported[ts] {
				t.Fatalf("timestamp %#x: digit reported twice", ts)
			}
			reported[ts] = reported[ts] || ok
			if _, again, _ := r.Receive(ts, marker, data[3:7]); again {
				t.Fatalf("timestamp %#x: the same packet reported twice", ts)
			}
		}
	})
}

func dtmfBit(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func BenchmarkDTMFReceive(b *testing.B) {
	var r DTMFReceiver
	payload := Event{Code: 3, Duration: 160}.Marshal(nil)
	b.ReportAllocs()
	ts := uint32(0)
	for b.Loop() {
		ts += 160
		r.Receive(ts, false, payload)
	}
}
