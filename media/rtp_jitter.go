package media

import (
	"sync"
	"time"
)

// Jitter buffer geometry and the sequence-number limits of RFC 3550
// appendix A.1.
const (
	// jitterSlots is the ring's capacity in packets: 640 ms of 20 ms
	// frames, far more than the target delay ever needs.
	jitterSlots = 32
	// maxDropout is the largest forward sequence jump taken as loss; a
	// larger one (or a backward one beyond maxMisorder) is believed only
	// when the packet after it follows on, and then restarts the buffer.
	maxDropout = 500
	// maxMisorder is how far back a packet may be and still count as
	// reordered rather than as a jump.
	maxMisorder = 100
	// idlePops is how many ticks the buffer may run dry before it stops
	// playing and waits out the target delay again when packets resume
	// (after a silence-suppressed pause, say).
	idlePops = 25
	// seqBase offsets extended sequence numbers so that a packet
	// reordered across the wrap right after the first one does not go
	// below zero.
	seqBase = 1 << 16
)

// popStatus says what the jitter buffer had for a tick.
type popStatus uint8

const (
	// popSilence: nothing due (still buffering, or the peer paused).
	popSilence popStatus = iota
	// popFrame: the payload of the packet due.
	popFrame
	// popLost: the packet due is missing; conceal it.
	popLost
)

// jitterSlot holds one packet's payload in preallocated storage.
type jitterSlot struct {
	seq  uint64 // extended sequence number
	full bool
	data []byte // fixed capacity, len is the payload length
}

// jitterBuffer reorders received audio packets and releases one per tick
// after a fixed target delay. The receive goroutine pushes and the clock
// pops, each holding mu for a copy of at most one payload; the storage is
// a fixed ring of slots, so neither side allocates.
type jitterBuffer struct {
	mu       sync.Mutex // guards the fields below
	slots    [jitterSlots]jitterSlot
	delay    int // frames buffered before playout begins
	maxDepth int // frames held before the oldest are skipped
	counters *streamCounters

	// Sequence state (RFC 3550 appendix A.1).
	synced bool // ssrc and maxSeq are set
	epoch  int  // how many times the buffer restarted
	ssrc   uint32
	maxSeq uint16
	cycles uint64
	badSeq uint32 // the sequence number that confirms a jump; > 0xffff: none

	// Playout state.
	playing  bool   // pops take frames
	hasNext  bool   // next is set: packets before it are late
	next     uint64 // extended sequence number due at the next pop
	waited   int    // pops since buffering began
	buffered int    // full slots
	empties  int    // consecutive pops that found nothing buffered

	// Interarrival jitter (RFC 3550 appendix A.8), in timestamp units.
	clockRate  int64
	hasTransit bool
	transit    int32
	jitter     int64 // scaled by 16, as in the appendix
}

// newJitterBuffer returns a buffer for payloads of up to slotSize bytes
// that holds delay of audio before playing. clockRate converts arrival
// times into RTP timestamp units for the jitter estimate.
func newJitterBuffer(delay time.Duration, slotSize, clockRate int,
	c *streamCounters,
) *jitterBuffer {
	frames := max(int((delay+FrameDuration-1)/FrameDuration), 1)
	frames = min(frames, jitterSlots/2)
	b := &jitterBuffer{
		delay:     frames,
		maxDepth:  min(2*frames+4, jitterSlots-1),
		counters:  c,
		clockRate: int64(clockRate),
		badSeq:    noSeq,
	}
	store := make([]byte, jitterSlots*slotSize)
	for i := range b.slots {
		b.slots[i].data = store[i*slotSize : i*slotSize : (i+1)*slotSize]
	}
	return b
}

// noSeq marks badSeq as unset; it is beyond any 16-bit sequence number.
const noSeq = 1 << 16

// push files one audio packet received at arrival (a monotonic time).
func (b *jitterBuffer) push(seq uint16, ts, ssrc uint32, payload []byte,
	arrival time.Duration,
) {
	b.mu.Lock()
	defer b.mu.Unlock()

	if !b.synced || ssrc != b.ssrc {
		b.restart(ssrc, seq)
	}
	ext, ok := b.extend(seq)
	if !ok {
		b.counters.drop(dropSequence)
		return
	}
	b.estimateJitter(ts, arrival)

	if b.hasNext && ext < b.next || ext+jitterSlots <= b.highest() {
		b.counters.late.Add(1)
		return
	}
	b.trim()
	if b.hasNext && ext < b.next {
		b.counters.drop(dropOverflow) // trim just skipped past it
		return
	}
	if len(payload) > cap(b.slots[0].data) {
		b.counters.drop(dropTooLarge)
		return
	}
	s := &b.slots[ext%jitterSlots]
	if s.full {
		b.counters.drop(dropDuplicate)
		return
	}
	s.seq, s.full = ext, true
	s.data = append(s.data[:0], payload...)
	b.buffered++
}

// pop copies the payload due this tick into dst and says what it was.
func (b *jitterBuffer) pop(dst []byte) (int, popStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()

	if !b.playing {
		if b.buffered == 0 {
			return 0, popSilence
		}
		if b.waited++; b.waited < b.delay {
			return 0, popSilence
		}
		b.playing, b.hasNext, b.next = true, true, b.lowest()
	}
	if b.buffered == 0 {
		if b.empties++; b.empties >= idlePops {
			b.playing, b.waited, b.empties = false, 0, 0
		}
		return 0, popSilence
	}
	b.empties = 0

	s := &b.slots[b.next%jitterSlots]
	b.next++
	if !s.full || s.seq != b.next-1 {
		b.counters.lost.Add(1)
		return 0, popLost
	}
	s.full = false
	b.buffered--
	return copy(dst, s.data), popFrame
}

// peek copies the payload of the packet due at the next pop into dst, if
// it has arrived, and returns its length: the decoder may rebuild a lost
// frame from the redundancy it carries.
func (b *jitterBuffer) peek(dst []byte) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &b.slots[b.next%jitterSlots]
	if !b.playing || !s.full || s.seq != b.next {
		return 0
	}
	return copy(dst, s.data)
}

// restart forgets everything for a new stream: a new SSRC, or a sequence
// jump confirmed by the packet after it.
func (b *jitterBuffer) restart(ssrc uint32, seq uint16) {
	for i := range b.slots {
		b.slots[i].full = false
	}
	b.synced, b.ssrc = true, ssrc
	b.epoch++
	b.maxSeq, b.cycles, b.badSeq = seq, seqBase, noSeq
	b.playing, b.hasNext, b.waited, b.buffered, b.empties = false, false, 0, 0, 0
	b.hasTransit = false
}

// extend turns seq into an extended sequence number, following the
// update_seq logic of RFC 3550 appendix A.1. It reports false for a
// packet after a jump that is not yet confirmed.
func (b *jitterBuffer) extend(seq uint16) (uint64, bool) {
	udelta := seq - b.maxSeq
	switch {
	case udelta < maxDropout:
		if seq < b.maxSeq {
			b.cycles += 1 << 16
		}
		b.maxSeq, b.badSeq = seq, noSeq
		return b.cycles + uint64(seq), true
	case udelta <= 1<<16-maxMisorder:
		if uint32(seq) != b.badSeq {
			b.badSeq = (uint32(seq) + 1) & 0xffff
			return 0, false
		}
		b.restart(b.ssrc, seq)
		return b.cycles + uint64(seq), true
	default:
		ext := b.cycles + uint64(seq)
		if seq > b.maxSeq {
			ext -= 1 << 16
		}
		return ext, true
	}
}

// highest is the extended sequence number of the newest packet.
func (b *jitterBuffer) highest() uint64 { return b.cycles + uint64(b.maxSeq) }

// trim keeps the ring within its capacity and the playout delay bounded:
// when the newest packet runs too far ahead of the one due, because the
// sender's clock is faster than ours or a burst arrived, the oldest
// frames are skipped.
func (b *jitterBuffer) trim() {
	hi := b.highest()
	switch {
	case b.playing && hi-b.next >= uint64(b.maxDepth):
		b.skipTo(hi + 1 - uint64(b.delay))
	case hi >= jitterSlots && (!b.hasNext || b.next+jitterSlots <= hi):
		b.skipTo(hi + 1 - jitterSlots)
	}
}

// skipTo drops everything before seq, counting buffered frames as
// overflow and the gaps the playout passes over as lost.
func (b *jitterBuffer) skipTo(seq uint64) {
	dropped := uint64(0)
	for i := range b.slots {
		if s := &b.slots[i]; s.full && s.seq < seq {
			s.full = false
			b.buffered--
			dropped++
		}
	}
	b.counters.dropped[dropOverflow].Add(dropped)
	if b.playing && seq > b.next {
		b.counters.lost.Add(seq - b.next - dropped)
	}
	if b.hasNext && seq > b.next {
		b.next = seq
	}
}

// lowest is the extended sequence number of the oldest buffered packet.
func (b *jitterBuffer) lowest() uint64 {
	lo := b.highest()
	for i := range b.slots {
		if s := &b.slots[i]; s.full && s.seq < lo {
			lo = s.seq
		}
	}
	return lo
}

// estimateJitter updates the interarrival jitter with one packet (RFC
// 3550 appendix A.8) and publishes it in nanoseconds.
func (b *jitterBuffer) estimateJitter(ts uint32, arrival time.Duration) {
	if b.clockRate == 0 {
		return
	}
	units := int64(arrival/time.Microsecond) * b.clockRate / 1e6
	transit := int32(uint32(units) - ts)
	if !b.hasTransit {
		b.hasTransit, b.transit = true, transit
		return
	}
	d := int64(transit - b.transit)
	b.transit = transit
	if d < 0 {
		d = -d
	}
	b.jitter += d - (b.jitter+8)>>4
	b.counters.jitter.Store(b.jitter * 1e9 / 16 / b.clockRate)
}
