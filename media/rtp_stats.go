package media

import (
	"sync/atomic"
	"time"
)

// streamCounters are one stream's counters (RFC 3550 section 6.4.1). The
// receive goroutine and the clock write them and Stats reads them at any
// time, so each is an atomic.
type streamCounters struct {
	packetsIn, packetsOut atomic.Uint64
	bytesIn, bytesOut     atomic.Uint64
	lost, late            atomic.Uint64
	dropped               [numDropReasons]atomic.Uint64
	// jitter is the interarrival jitter in nanoseconds.
	jitter atomic.Int64
}

// drop counts one discarded packet.
func (c *streamCounters) drop(r dropReason) { c.dropped[r].Add(1) }

// counterSnapshot is a plain copy of streamCounters.
type counterSnapshot struct {
	packetsIn, packetsOut uint64
	bytesIn, bytesOut     uint64
	lost, late            uint64
	dropped               [numDropReasons]uint64
}

// snapshot copies the counters; each is read atomically, the set is not.
func (c *streamCounters) snapshot() counterSnapshot {
	s := counterSnapshot{
		packetsIn:  c.packetsIn.Load(),
		packetsOut: c.packetsOut.Load(),
		bytesIn:    c.bytesIn.Load(),
		bytesOut:   c.bytesOut.Load(),
		lost:       c.lost.Load(),
		late:       c.late.Load(),
	}
	for r := range s.dropped {
		s.dropped[r] = c.dropped[r].Load()
	}
	return s
}

// since returns the growth of s over prev.
func (s counterSnapshot) since(prev counterSnapshot) counterSnapshot {
	d := counterSnapshot{
		packetsIn:  s.packetsIn - prev.packetsIn,
		packetsOut: s.packetsOut - prev.packetsOut,
		bytesIn:    s.bytesIn - prev.bytesIn,
		bytesOut:   s.bytesOut - prev.bytesOut,
		lost:       s.lost - prev.lost,
		late:       s.late - prev.late,
	}
	for r := range d.dropped {
		d.dropped[r] = s.dropped[r] - prev.dropped[r]
	}
	return d
}

// stats turns the counters into the exported form.
func (c *streamCounters) stats() StreamStats {
	s := c.snapshot()
	st := StreamStats{
		PacketsIn:  s.packetsIn,
		PacketsOut: s.packetsOut,
		BytesIn:    s.bytesIn,
		BytesOut:   s.bytesOut,
		Lost:       s.lost,
		Late:       s.late,
		Jitter:     time.Duration(c.jitter.Load()),
		DroppedBy:  make(map[string]uint64),
	}
	for r, n := range s.dropped {
		st.Dropped += n
		if n != 0 {
			st.DroppedBy[dropReason(r).String()] = n
		}
	}
	return st
}

// StreamStats are the counters of one stream (RFC 3550 section 6.4.1).
type StreamStats struct {
	// PacketsIn and BytesIn count valid packets received, PacketsOut and
	// BytesOut packets sent; bytes are whole RTP (or SRTP) packets.
	PacketsIn, PacketsOut uint64
	BytesIn, BytesOut     uint64
	// Lost counts packets missing when due for playout, concealed.
	Lost uint64
	// Late counts packets that arrived after their playout time.
	Late uint64
	// Dropped counts received packets discarded for any reason;
	// DroppedBy splits it by the metric's reason label ("bad_source",
	// "malformed", ...), listing only reasons that occurred.
	Dropped   uint64
	DroppedBy map[string]uint64
	// Jitter is the interarrival jitter estimate (RFC 3550 appendix A.8).
	Jitter time.Duration
}
