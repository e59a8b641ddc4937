package media

import (
	"math/rand/v2"

	"github.com/pion/rtp"
)

// dtmfGapTicks is the pause, in frames of audio, between two key presses
// SendDTMF queued back to back.
const dtmfGapTicks = 2

// sendState is the sending half of the tick, owned by the clock.
type sendState struct {
	enc      Encoder
	down     *Resampler // PipelineRate to the codec's rate; nil when equal
	pcm      []int16    // the agent's frame at PipelineRate
	codecPCM []int16    // the same at the codec's rate
	buf      []byte     // the packet: header, payload, room for an SRTP tag
	hdr      rtp.Header

	audioPT, dtmfPT uint8
	ts              uint32 // RTP timestamp of this tick's frame
	step            uint32 // RTP timestamp units per frame
	marker          bool   // the next audio packet starts a talkspurt

	dtmf     DTMFSender
	dtmfPkts []DTMFPacket // the press being sent
	dtmfNext int          // index of the next packet of it
	dtmfTS   uint32       // RTP timestamp of the press
	dtmfGap  int          // frames of audio still due before the next press

	ticks     uint64
	published counterSnapshot
}

// init prepares the encoder, resampler and buffers, and draws the random
// SSRC, first sequence number and first timestamp that RFC 3550 sections
// 5.1 and 8 ask for.
func (st *sendState) init(cfg *StreamConfig) error {
	enc, err := NewEncoder(cfg.Codec)
	if err != nil {
		return err
	}
	st.enc = enc
	if cfg.Codec.SampleRate != PipelineRate {
		st.down, err = NewResampler(PipelineRate, cfg.Codec.SampleRate)
		if err != nil {
			return err
		}
	}
	st.pcm = make([]int16, SamplesPerFrame(PipelineRate))
	st.codecPCM = make([]int16, SamplesPerFrame(cfg.Codec.SampleRate))
	st.buf = make([]byte, rtpHeaderLen+PayloadBufferSize+srtpOverhead)

	st.audioPT, st.dtmfPT = cfg.Codec.PayloadType, cfg.DTMFPayloadType
	st.step = uint32(SamplesPerFrame(cfg.Codec.ClockRate))
	st.marker = true
	st.hdr = rtp.Header{
		Version:        rtpVersion,
		SSRC:           rand.Uint32(),
		SequenceNumber: uint16(rand.Uint32()),
	}
	st.ts = rand.Uint32()
	st.dtmf = DTMFSender{ClockRate: cfg.DTMFClockRate}
	if st.dtmf.ClockRate == 0 {
		st.dtmf.ClockRate = cfg.Codec.ClockRate
	}
	st.dtmfPkts = make([]DTMFPacket, 0, 16)
	return nil
}

func (st *sendState) close() {
	if st.enc != nil {
		st.enc.Close()
		st.enc = nil
	}
}

// sendFrame sends this tick's packet, a telephone-event while a key press
// is under way (RFC 4733 section 2.5.1) and audio otherwise, and moves
// the RTP clock on by one frame whether or not anything was sent, so that
// timestamps keep time across a hold (RFC 3550 section 5.1).
func (s *Stream) sendFrame(held bool) {
	s.sendPacket(held)
	s.send.ts += s.send.step
}

func (s *Stream) sendPacket(held bool) {
	st := &s.send
	if held {
		st.marker = true
		return
	}

	var payload int
	if st.nextPress(s.dtmfOut) {
		payload = st.eventPacket()
	} else {
		n, ok := s.encodeAudio()
		if !ok {
			return
		}
		payload = n
	}
	hn, err := st.hdr.MarshalTo(st.buf)
	if err != nil {
		return
	}
	pkt := st.buf[:hn+payload]

	// With no address to send to yet, the packet is dropped before SRTP
	// sees it: a sequence number must never be encrypted twice.
	remote := s.remote.Load()
	if remote == nil {
		st.marker = true
		return
	}
	if s.srtp != nil {
		if pkt, err = s.srtp.protect(pkt); err != nil {
			return
		}
	}
	st.hdr.SequenceNumber++
	if _, err := s.conn.WriteToUDPAddrPort(pkt, *remote); err != nil {
		return // the peer's network is not ours to fix; keep time
	}
	s.counters.packetsOut.Add(1)
	s.counters.bytesOut.Add(uint64(len(pkt)))
}

// encodeAudio encodes the agent's frame after the header and sets the
// header for an audio packet.
func (s *Stream) encodeAudio() (int, bool) {
	st := &s.send
	pcm := st.pcm
	if st.down != nil {
		pcm = st.codecPCM[:st.down.Resample(st.codecPCM, st.pcm)]
	}
	n, err := st.enc.Encode(st.buf[rtpHeaderLen:rtpHeaderLen+PayloadBufferSize], pcm)
	if err != nil {
		return 0, false
	}
	st.hdr.PayloadType = st.audioPT
	st.hdr.Marker = st.marker
	st.hdr.Timestamp = st.ts
	st.marker = false
	return n, true
}

// nextPress reports whether this tick sends a telephone-event, starting
// the next queued key press if none is under way and the pause after the
// last one is over.
func (st *sendState) nextPress(queue <-chan rune) bool {
	if st.dtmfNext < len(st.dtmfPkts) {
		return true
	}
	if st.dtmfGap > 0 {
		st.dtmfGap--
		return false
	}
	select {
	case digit := <-queue:
		pkts, err := st.dtmf.Packets(st.dtmfPkts[:0], digit)
		if err != nil || len(pkts) == 0 {
			return false
		}
		st.dtmfPkts, st.dtmfNext, st.dtmfTS = pkts, 0, st.ts
		return true
	default:
		return false
	}
}

// eventPacket writes the next packet of the key press after the header;
// every packet of a press carries the timestamp of its first (RFC 4733
// section 2.5.1.2).
func (st *sendState) eventPacket() int {
	p := &st.dtmfPkts[st.dtmfNext]
	st.dtmfNext++
	if st.dtmfNext == len(st.dtmfPkts) {
		st.dtmfGap = dtmfGapTicks
	}
	st.hdr.PayloadType = st.dtmfPT
	st.hdr.Marker = p.Marker
	st.hdr.Timestamp = st.dtmfTS
	return copy(st.buf[rtpHeaderLen:], p.Payload[:])
}
