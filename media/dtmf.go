package media

import (
	"encoding/binary"
	"time"
)

// EventSize is the length of one telephone-event payload block (RFC 4733
// section 2.3).
const EventSize = 4

// Event is one telephone-event payload block (RFC 4733 section 2.3).
type Event struct {
	// Code is the event; 0-15 are the DTMF keys (RFC 4733 section 3.2).
	Code uint8
	// End is the E bit: the event has ended and Duration is final.
	End bool
	// Volume is the power level in -dBm0, 0-63 (RFC 4733 section 2.3.4).
	Volume uint8
	// Duration is how long the event has lasted so far, in RTP timestamp
	// units, from the packet's timestamp on.
	Duration uint16
}

// ParseEvent reads the first event block of a telephone-event payload.
// Codes beyond the DTMF keys are valid wire data and parse like any other;
// DigitOf tells which codes are keys. The reserved R bit is ignored, as
// RFC 4733 section 2.3.3 asks of receivers. Blocks after the first, which
// RFC 4733 section 2.5.1.5 allows, are ignored.
func ParseEvent(p []byte) (Event, error) {
	if len(p) < EventSize {
		return Event{}, ErrShortEvent
	}
	return Event{
		Code:     p[0],
		End:      p[1]&0x80 != 0,
		Volume:   p[1] & 0x3f,
		Duration: binary.BigEndian.Uint16(p[2:4]),
	}, nil
}

// Marshal appends the four bytes of e to dst and returns the extended
// slice. Volume is cut to its six bits; the R bit is sent as zero.
func (e Event) Marshal(dst []byte) []byte {
	flags := e.Volume & 0x3f
	if e.End {
		flags |= 0x80
	}
	return append(dst, e.Code, flags, byte(e.Duration>>8), byte(e.Duration))
}

// dtmfKeys maps the event codes of RFC 4733 section 3.2 to their keys.
const dtmfKeys = "0123456789*#ABCD"

// DigitOf returns the DTMF key an event code stands for: '0'-'9', '*',
// '#' or 'A'-'D' (RFC 4733 section 3.2). Other codes, flash (16)
// included, are not keys.
func DigitOf(code uint8) (rune, bool) {
	if int(code) >= len(dtmfKeys) {
		return 0, false
	}
	return rune(dtmfKeys[code]), true
}

// CodeOf returns the event code of a DTMF key; 'a'-'d' count as 'A'-'D'.
func CodeOf(digit rune) (uint8, bool) {
	switch {
	case digit >= '0' && digit <= '9':
		return uint8(digit - '0'), true
	case digit == '*':
		return 10, true
	case digit == '#':
		return 11, true
	case digit >= 'A' && digit <= 'D':
		return uint8(digit-'A') + 12, true
	case digit >= 'a' && digit <= 'd':
		return uint8(digit-'a') + 12, true
	}
	return 0, false
}

// DTMFReceiver turns the telephone-event packets of one RTP stream into
// key presses, each reported once, as soon as any packet of it arrives.
//
// RFC 4733 section 2.5.1.4 has senders repeat the final packet three
// times and the first packet may be lost, so the receiver keys events by
// RTP timestamp, which stays the same for every packet of one event
// (section 2.2.1): a timestamp it has not seen is a new event, whether or
// not its marker or start packet arrived. Packets of earlier events that
// arrive late are dropped.
//
// A DTMFReceiver is not safe for concurrent use; the goroutine that reads
// the stream owns it. The zero value is ready.
type DTMFReceiver struct {
	seen     bool   // an event has been reported since the last Reset
	ts       uint32 // timestamp of the current event
	code     uint8
	ended    bool   // an end packet of the current event arrived
	duration uint16 // longest duration seen for the current event
}

// Receive takes the RTP timestamp, marker bit and payload of one
// telephone-event packet. It returns the key and true when the packet
// starts a key press not reported before. Events that are not keys
// (flash, tones) are tracked but not reported. A malformed payload yields
// ErrShortEvent and leaves the state as it was.
func (r *DTMFReceiver) Receive(ts uint32, marker bool, payload []byte) (rune, bool, error) {
	ev, err := ParseEvent(payload)
	if err != nil {
		return 0, false, err
	}

	if r.seen {
		delta := int32(ts - r.ts)
		switch {
		case delta < 0:
			return 0, false, nil // a late packet of an earlier event
		case delta == 0:
			r.update(ev)
			return 0, false, nil
		case r.continues(uint32(delta), marker, ev):
			r.ts, r.duration = ts, 0 // the next segment counts from its own start
			r.update(ev)
			return 0, false, nil
		}
	}

	r.seen, r.ts, r.code = true, ts, ev.Code
	r.ended, r.duration = false, 0
	r.update(ev)
	digit, ok := DigitOf(ev.Code)
	return digit, ok, nil
}

// continues reports whether a packet with a new timestamp is the next
// segment of the current event rather than a new one. Events longer than
// a Duration can count are sent as segments, each with its own timestamp
// and no marker (RFC 4733 sections 2.5.1.3 and 2.5.2.3); a segment starts
// where the previous one's duration reached.
func (r *DTMFReceiver) continues(delta uint32, marker bool, ev Event) bool {
	return !marker && !r.ended && ev.Code == r.code && delta <= uint32(r.duration)
}

func (r *DTMFReceiver) update(ev Event) {
	r.ended = r.ended || ev.End
	r.duration = max(r.duration, ev.Duration)
}

// Reset forgets the current event, for a new stream or SSRC.
func (r *DTMFReceiver) Reset() { *r = DTMFReceiver{} }

// DefaultDTMFDuration is how long a DTMFSender holds a key unless told
// otherwise: long enough for any detector, short enough for fast menus.
const DefaultDTMFDuration = 100 * time.Millisecond

// DefaultDTMFVolume is the power level DTMFSender reports, in -dBm0.
const DefaultDTMFVolume = 10

// DTMFPacket is one packet of a key press as DTMFSender lays it out. All
// packets of one press carry the same RTP timestamp, that of the tick the
// press started on (RFC 4733 section 2.2.1); only the sequence number
// advances.
type DTMFPacket struct {
	// Marker is the RTP marker bit, set on the first packet only (RFC
	// 4733 section 2.2.2).
	Marker bool
	// Payload is the telephone-event payload.
	Payload [EventSize]byte
}

// DTMFSender lays out the telephone-event packets of one key press, one
// per 20 ms tick: a first packet with the marker bit, updates with the
// duration so far, and the final packet three times (RFC 4733 sections
// 2.5.1.2 and 2.5.1.4). The zero value sends DefaultDTMFDuration presses
// at DefaultDTMFVolume on an 8000 Hz clock.
type DTMFSender struct {
	// ClockRate is the telephone-event RTP clock; 0 means 8000.
	ClockRate int
	// Duration is how long the key is held, rounded up to whole 20 ms
	// ticks and capped at what the 16-bit duration field holds (about 8 s
	// at 8000 Hz); 0 means DefaultDTMFDuration.
	Duration time.Duration
	// Volume is the power level in -dBm0, 0-63; 0 means
	// DefaultDTMFVolume.
	Volume uint8
}

// dtmfEndRepeats is how often the final packet is sent (RFC 4733 section
// 2.5.1.4).
const dtmfEndRepeats = 3

// Packets appends the packets for one press of digit to dst and returns
// the extended slice; with a reused dst it does not allocate. Send one
// per tick, all with the RTP timestamp of the first tick. The caller
// should leave a pause of at least one packet's worth between presses.
func (s DTMFSender) Packets(dst []DTMFPacket, digit rune) ([]DTMFPacket, error) {
	code, ok := CodeOf(digit)
	if !ok {
		return dst, ErrNotDigit
	}

	rate, hold, vol := s.ClockRate, s.Duration, s.Volume
	if rate <= 0 {
		rate = 8000
	}
	if hold <= 0 {
		hold = DefaultDTMFDuration
	}
	if vol == 0 {
		vol = DefaultDTMFVolume
	}
	step := SamplesPerFrame(rate)
	ticks := int((hold + FrameDuration - 1) / FrameDuration)
	ticks = min(ticks, 0xffff/step) // keep the duration within 16 bits

	ev := Event{Code: code, Volume: min(vol, 63)}
	for i := 1; i <= ticks+dtmfEndRepeats-1; i++ {
		ev.Duration = uint16(min(i, ticks) * step)
		ev.End = i >= ticks
		var pkt DTMFPacket
		pkt.Marker = i == 1
		ev.Marshal(pkt.Payload[:0])
		dst = append(dst, pkt)
	}
	return dst, nil
}
