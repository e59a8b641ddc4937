package media

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"time"
)

// RTP framing (RFC 3550 section 5.1).
const (
	rtpHeaderLen = 12
	rtpVersion   = 2
	// recvBufferSize holds any datagram on an Ethernet path with room to
	// spare; a datagram that fills it was truncated and is dropped.
	recvBufferSize = 2048
)

// rtpPacket is the part of a received RTP packet the stream uses. payload
// aliases the buffer it was parsed from.
type rtpPacket struct {
	marker      bool
	payloadType uint8
	seq         uint16
	timestamp   uint32
	ssrc        uint32
	payload     []byte
}

// parseRTP parses buf as an RTP packet and validates it as RFC 3550
// section 5.1 and appendix A.1 describe: version 2, a CSRC list and
// header extension within the packet, and a padding count of at least one
// that leaves the payload non-negative. It reports why it rejects a
// packet. It does not allocate.
func parseRTP(buf []byte, p *rtpPacket) (dropReason, bool) {
	n, reason, ok := rtpHeaderSize(buf)
	if !ok {
		return reason, false
	}
	end := len(buf)
	if buf[0]&0x20 != 0 { // P: the last octet counts the padding
		pad := int(buf[end-1])
		if pad == 0 || pad > end-n {
			return dropMalformed, false
		}
		end -= pad
	}

	p.marker = buf[1]&0x80 != 0
	p.payloadType = buf[1] & 0x7f
	p.seq = binary.BigEndian.Uint16(buf[2:])
	p.timestamp = binary.BigEndian.Uint32(buf[4:])
	p.ssrc = binary.BigEndian.Uint32(buf[8:])
	p.payload = buf[n:end]
	return 0, true
}

// rtpHeaderSize validates the fixed header, CSRC list and extension of
// buf and returns their length. It leaves padding alone: under SRTP the
// padding is encrypted (RFC 3711 section 3.1).
func rtpHeaderSize(buf []byte) (int, dropReason, bool) {
	if len(buf) < rtpHeaderLen {
		return 0, dropMalformed, false
	}
	if buf[0]>>6 != rtpVersion {
		return 0, dropBadVersion, false
	}
	n := rtpHeaderLen + 4*int(buf[0]&0x0f)
	if buf[0]&0x10 != 0 { // X: a header extension follows the CSRCs
		if len(buf) < n+4 {
			return 0, dropMalformed, false
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(buf[n+2:]))
	}
	if len(buf) < n {
		return 0, dropMalformed, false
	}
	return n, 0, true
}

// receiveState is what the receive goroutine owns.
type receiveState struct {
	buf      []byte
	pkt      rtpPacket
	dtmf     DTMFReceiver
	dtmfSSRC uint32 // the SSRC dtmf is tracking events of
}

func (r *receiveState) init() { r.buf = make([]byte, recvBufferSize) }

// receive reads packets until the socket closes. It runs on the receive
// goroutine Run starts.
func (s *Stream) receive() {
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(s.recv.buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-s.done:
				return
			case <-time.After(time.Millisecond):
				continue // a transient error: do not spin on it
			}
		}
		s.handlePacket(s.recv.buf[:n], from, time.Since(s.epoch))
	}
}

// handlePacket takes one datagram through the receive path: source check,
// RTP validation, SRTP, latching and dispatch by payload type. arrival is
// the time since the stream's epoch. It does not block, allocates only to
// latch a new source, and counts every packet it drops.
func (s *Stream) handlePacket(buf []byte, from netip.AddrPort, arrival time.Duration) {
	from = unmap(from)
	if !s.sourceAllowed(from) {
		s.counters.drop(dropBadSource)
		return
	}
	if len(buf) >= recvBufferSize {
		s.counters.drop(dropMalformed)
		return
	}
	wire := len(buf)
	if s.srtp != nil {
		if _, reason, ok := rtpHeaderSize(buf); !ok {
			s.counters.drop(reason)
			return
		}
		plain, err := s.srtp.unprotect(buf)
		if err != nil {
			s.counters.drop(dropSRTP)
			return
		}
		buf = plain
	}
	p := &s.recv.pkt
	if reason, ok := parseRTP(buf, p); !ok {
		s.counters.drop(reason)
		return
	}
	audio := p.payloadType == s.codec.PayloadType
	switch {
	case !audio && (s.dtmfPT == 0 || p.payloadType != s.dtmfPT):
		s.counters.drop(dropUnknownPayloadType)
		return
	case !audio && len(p.payload) < EventSize:
		s.counters.drop(dropMalformed)
		return
	}

	s.latch(from)
	s.lastRx.Store(int64(arrival))
	s.counters.packetsIn.Add(1)
	s.counters.bytesIn.Add(uint64(wire))
	if audio {
		s.jitter.push(p.seq, p.timestamp, p.ssrc, p.payload, arrival)
		return
	}
	s.receiveDTMF(p)
}

// sourceAllowed applies symmetric RTP (RFC 4961): until a packet has
// latched, any source may send, since a peer behind NAT sends from an
// address its SDP does not know. Once one has, only it may, except that
// the address the SDP named may still take over from a stranger, so a
// stray packet that won the race cannot keep the call.
func (s *Stream) sourceAllowed(from netip.AddrPort) bool {
	latched := s.latched.Load()
	if latched == nil || *latched == from {
		return true
	}
	sdp := s.sdp.Load()
	return sdp != nil && from.Addr() == sdp.Addr() && latched.Addr() != sdp.Addr()
}

// latch makes from the source packets are accepted from and sent to.
func (s *Stream) latch(from netip.AddrPort) {
	if l := s.latched.Load(); l != nil && *l == from {
		return
	}
	addr := from // only a new latch escapes to the heap
	s.latched.Store(&addr)
	s.remote.Store(&addr)
}

// receiveDTMF reports a key press that starts with p (RFC 4733 section
// 2.5.2); the receiver ignores the repeats of one press.
func (s *Stream) receiveDTMF(p *rtpPacket) {
	if p.ssrc != s.recv.dtmfSSRC {
		// A new source numbers its timestamps afresh (RFC 3550 section
		// 5.1), so the events of the old one say nothing about its own.
		s.recv.dtmf.Reset()
		s.recv.dtmfSSRC = p.ssrc
	}
	digit, ok, _ := s.recv.dtmf.Receive(p.timestamp, p.marker, p.payload)
	if ok && s.onDTMF != nil {
		s.onDTMF(digit)
	}
}
