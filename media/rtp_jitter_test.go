package media

import (
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runJitter plays a script against b and returns what the pops gave.
// Tokens: "+N" pushes sequence number N with SSRC 1, "+N/S" with SSRC S,
// "." pops. A pop prints "-" for silence, "L" for a lost frame and the
// sequence number of a played one.
func runJitter(t testing.TB, b *jitterBuffer, script string) string {
	t.Helper()
	var out []string
	arrival := time.Duration(0)
	for tok := range strings.FieldsSeq(script) {
		if tok == "." {
			out = append(out, popToken(b))
			arrival += FrameDuration
			continue
		}
		seqText, ssrcText, found := strings.Cut(strings.TrimPrefix(tok, "+"), "/")
		seq, err := strconv.ParseUint(seqText, 10, 16)
		if err != nil {
			t.Fatalf("bad token %q", tok)
		}
		ssrc := uint64(1)
		if found {
			if ssrc, err = strconv.ParseUint(ssrcText, 10, 32); err != nil {
				t.Fatalf("bad token %q", tok)
			}
		}
		payload := binary.BigEndian.AppendUint16(nil, uint16(seq))
		b.push(uint16(seq), uint32(seq)*160, uint32(ssrc), payload, arrival)
	}
	return strings.Join(out, " ")
}

func popToken(b *jitterBuffer) string {
	buf := make([]byte, 16)
	n, st := b.pop(buf)
	switch st {
	case popLost:
		return "L"
	case popFrame:
		if n != 2 {
			return "?"
		}
		return strconv.Itoa(int(binary.BigEndian.Uint16(buf)))
	}
	return "-"
}

func TestJitterBuffer(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		want    string
		lost    uint64
		late    uint64
		dropped map[dropReason]uint64
	}{
		{
			name:   "in order after the target delay",
			script: "+1 +2 +3 . . . . . .",
			want:   "- - 1 2 3 -",
		},
		{
			name:   "reordered",
			script: "+1 +3 +2 . . . . .",
			want:   "- - 1 2 3",
		},
		{
			name:   "loss is concealed",
			script: "+1 +2 +4 +5 . . . . . . .",
			want:   "- - 1 2 L 4 5",
			lost:   1,
		},
		{
			name:    "duplicate",
			script:  "+1 +1 +2 . . . .",
			want:    "- - 1 2",
			dropped: map[dropReason]uint64{dropDuplicate: 1},
		},
		{
			name:   "wrap at 65535",
			script: "+65534 +65535 +0 +1 . . . . . .",
			want:   "- - 65534 65535 0 1",
		},
		{
			name:   "reordered across the wrap at start",
			script: "+0 +65535 . . . .",
			want:   "- - 65535 0",
		},
		{
			name:   "late packet after its frame was concealed",
			script: "+1 +3 . . . . +2 .",
			want:   "- - 1 L 3",
			lost:   1,
			late:   1,
		},
		{
			name:   "replayed packet after playout",
			script: "+1 +2 . . . +1 .",
			want:   "- - 1 2",
			late:   1,
		},
		{
			name:   "ssrc change restarts",
			script: "+1 +2 . . . +100/2 +101/2 . . . .",
			want:   "- - 1 - - 100 101",
		},
		{
			name:    "huge jump resyncs once confirmed",
			script:  "+1 +2 +3 . . . +5000 +5001 . . .",
			want:    "- - 1 - - 5001",
			dropped: map[dropReason]uint64{dropSequence: 1},
		},
		{
			name:    "single wild sequence number is ignored",
			script:  "+1 +2 +3 +4 . . . +9000 . .",
			want:    "- - 1 2 3",
			dropped: map[dropReason]uint64{dropSequence: 1},
		},
		{
			name:    "gap beyond the ring skips to the target delay",
			script:  "+1 +2 +3 . . . . +100 . . .",
			want:    "- - 1 2 L L 100",
			lost:    96,
			dropped: map[dropReason]uint64{dropOverflow: 1},
		},
		{
			name: "rebuffers after a pause",
			script: "+1 . . . " + strings.Repeat(". ", idlePops) +
				"+2 . . .",
			want: "- - 1" + strings.Repeat(" -", idlePops) + " - - 2",
		},
		{
			name:   "buffering survives a burst",
			script: "+1 +2 +3 +4 +5 +6 . . . . . . . .",
			want:   "- - 1 2 3 4 5 6",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c streamCounters
			b := newJitterBuffer(60*time.Millisecond, 64, 8000, &c)
			if got := runJitter(t, b, tt.script); got != tt.want {
				t.Errorf("pops = %q, want %q", got, tt.want)
			}
			if got := c.lost.Load(); got != tt.lost {
				t.Errorf("lost = %d, want %d", got, tt.lost)
			}
			if got := c.late.Load(); got != tt.late {
				t.Errorf("late = %d, want %d", got, tt.late)
			}
			for r := range numDropReasons {
				if got, want := c.dropped[r].Load(), tt.dropped[r]; got != want {
					t.Errorf("dropped %s = %d, want %d", r, got, want)
				}
			}
		})
	}
}

func TestJitterBufferSkipsWhenSenderRunsAhead(t *testing.T) {
	var c streamCounters
	b := newJitterBuffer(60*time.Millisecond, 64, 8000, &c)
	runJitter(t, b, "+1 +2 +3 . . .")
	// Twenty frames arrive at once: more than the buffer may hold ahead.
	var script strings.Builder
	for seq := 4; seq < 24; seq++ {
		script.WriteString("+" + strconv.Itoa(seq) + " ")
	}
	runJitter(t, b, script.String())
	if got, limit := b.highest()-b.next, uint64(b.maxDepth); got >= limit {
		t.Errorf("depth after burst = %d, want below %d", got, limit)
	}
	if got := c.dropped[dropOverflow].Load(); got == 0 {
		t.Errorf("overflow drops = 0, want some")
	}
}

func TestJitterEstimate(t *testing.T) {
	tests := []struct {
		name   string
		spread time.Duration // arrival offsets alternate between 0 and spread
		want   time.Duration
	}{
		{"steady", 0, 0},
		{"alternating 10 ms", 10 * time.Millisecond, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c streamCounters
			b := newJitterBuffer(60*time.Millisecond, 64, 8000, &c)
			for i := range 500 {
				arrival := time.Duration(i)*FrameDuration + time.Duration(i%2)*tt.spread
				b.push(uint16(i), uint32(i)*160, 7, []byte{1}, arrival)
				b.pop(make([]byte, 4))
			}
			got := time.Duration(c.jitter.Load())
			if diff := got - tt.want; diff < -time.Millisecond || diff > time.Millisecond {
				t.Errorf("jitter = %v, want %v", got, tt.want)
			}
		})
	}
}

// checkJitterInvariants verifies the ring's bookkeeping.
func checkJitterInvariants(t *testing.T, b *jitterBuffer) {
	t.Helper()
	full := 0
	hi := b.highest()
	for i := range b.slots {
		s := &b.slots[i]
		if !s.full {
			continue
		}
		full++
		if s.seq%jitterSlots != uint64(i) {
			t.Fatalf("slot %d holds seq %d", i, s.seq)
		}
		if s.seq > hi || s.seq+jitterSlots <= hi {
			t.Fatalf("slot seq %d outside window ending %d", s.seq, hi)
		}
		if b.hasNext && s.seq < b.next {
			t.Fatalf("slot seq %d before next %d", s.seq, b.next)
		}
	}
	if full != b.buffered {
		t.Fatalf("buffered = %d, full slots = %d", b.buffered, full)
	}
}

func FuzzJitterBuffer(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 0, 0, 2, 0, 1, 1, 1, 1, 1})
	f.Add([]byte{0, 255, 254, 0, 0, 255, 255, 0, 0, 0, 0, 1, 1, 1, 1})
	f.Add([]byte{0, 0, 1, 0, 0, 19, 136, 0, 0, 19, 137, 1, 1, 1, 1, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		var c streamCounters
		b := newJitterBuffer(60*time.Millisecond, 8, 8000, &c)
		played := map[uint64]bool{}
		epoch := 0
		out := make([]byte, 8)
		for i := 0; i < len(ops); {
			op := ops[i]
			i++
			if op&1 == 1 || i+2 > len(ops) {
				n, st := b.pop(out)
				if b.epoch != epoch {
					epoch, played = b.epoch, map[uint64]bool{}
				}
				if st == popFrame {
					seq := b.next - 1
					if n != 6 || binary.BigEndian.Uint16(out) != uint16(seq) ||
						binary.BigEndian.Uint32(out[2:]) != b.ssrc {
						t.Fatalf("popped %x for seq %d ssrc %d", out[:n], seq, b.ssrc)
					}
					if played[seq] {
						t.Fatalf("seq %d played twice", seq)
					}
					played[seq] = true
				}
				checkJitterInvariants(t, b)
				continue
			}
			seq := binary.BigEndian.Uint16(ops[i:])
			i += 2
			ssrc := uint32(op>>1) & 1
			payload := binary.BigEndian.AppendUint16(nil, seq)
			payload = binary.BigEndian.AppendUint32(payload, ssrc)
			b.push(seq, uint32(seq)*160, ssrc, payload, time.Duration(i)*time.Millisecond)
			if b.epoch != epoch {
				epoch, played = b.epoch, map[uint64]bool{}
			}
			checkJitterInvariants(t, b)
		}
	})
}

func BenchmarkJitterPushPop(b *testing.B) {
	var c streamCounters
	jb := newJitterBuffer(60*time.Millisecond, 640, 8000, &c)
	payload := make([]byte, 160)
	out := make([]byte, 640)
	b.ReportAllocs()
	seq := uint16(0)
	for b.Loop() {
		jb.push(seq, uint32(seq)*160, 1, payload, time.Duration(seq)*FrameDuration)
		jb.pop(out)
		seq++
	}
}
