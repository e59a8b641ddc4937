package media

import "time"

// How often the clock publishes a stream's counters to Metrics: every
// second, and its jitter every five, so that the shared collectors see
// one update per stream per second rather than one per packet.
const (
	publishTicks = 50
	jitterTicks  = 250
	// fadeFrames is how many lost frames repeat-and-fade concealment
	// spans before it falls silent; each repeat halves the level.
	fadeFrames = 4
)

// tick is the stream's per-frame work on the clock's goroutine: play one
// frame of the peer's audio to the recorder and OnAudio, and send one
// frame of the playout queue. It neither allocates, logs nor blocks.
func (s *Stream) tick() {
	caller := s.playFrame()
	if fn := s.onAudio.Load(); fn != nil {
		(*fn)(caller)
	}

	held := s.held.Load()
	agent := s.send.pcm
	if held {
		clear(agent)
	} else {
		s.playout.read(agent)
	}
	if s.recorder != nil {
		s.recorder.WriteFrame(caller, agent) // a failed recorder stays failed; the call goes on
	}
	s.sendFrame(held)

	s.send.ticks++
	if s.send.ticks%publishTicks == 0 {
		s.publish()
	}
	if s.send.ticks%jitterTicks == 0 && s.counters.packetsIn.Load() > 0 {
		s.metrics.observeJitter(time.Duration(s.counters.jitter.Load()))
	}
}

// playState is the decoding half of the tick, owned by the clock.
type playState struct {
	dec     Decoder
	conceal Concealer  // nil when the decoder cannot conceal
	fec     FECDecoder // nil when the decoder cannot use redundancy
	up      *Resampler // codec rate to PipelineRate; nil when equal
	frame   int        // samples per frame at the codec's rate
	payload []byte     // the payload popped from the jitter buffer
	decoded []int16    // decoder output; its first frame samples play
	pcm     []int16    // the frame at PipelineRate
	fading  int        // consecutive frames concealed by repetition
}

func (p *playState) init(c Codec) error {
	dec, err := NewDecoder(c)
	if err != nil {
		return err
	}
	p.dec = dec
	p.conceal, _ = dec.(Concealer)
	p.fec, _ = dec.(FECDecoder)
	if c.SampleRate != PipelineRate {
		if p.up, err = NewResampler(c.SampleRate, PipelineRate); err != nil {
			return err
		}
	}
	p.frame = SamplesPerFrame(c.SampleRate)
	p.payload = make([]byte, PayloadBufferSize)
	p.decoded = make([]int16, max(DecodeBufferSize, p.frame))
	p.pcm = make([]int16, SamplesPerFrame(PipelineRate))
	return nil
}

func (p *playState) close() {
	if p.dec != nil {
		p.dec.Close()
		p.dec = nil
	}
}

// playFrame pops the frame due from the jitter buffer, decodes or
// conceals it and returns it at PipelineRate. A packet longer than a
// frame plays its first 20 ms: voiced offers and expects a ptime of 20.
func (s *Stream) playFrame() []int16 {
	p := &s.play
	frame := p.decoded[:p.frame]
	n, status := s.jitter.pop(p.payload)
	switch status {
	case popFrame:
		got, err := p.dec.Decode(p.decoded, p.payload[:n])
		if err != nil {
			s.counters.drop(dropDecode)
			p.concealFrame(frame)
			break
		}
		if got < p.frame {
			clear(frame[got:])
		}
		p.fading = 0
	case popLost:
		if !p.recover(frame, s.jitter) {
			p.concealFrame(frame)
		}
	default:
		clear(frame)
		p.fading = fadeFrames
	}

	if p.up == nil {
		return frame
	}
	return p.pcm[:p.up.Resample(p.pcm, frame)]
}

// recover rebuilds a lost frame from the forward error correction data
// of the packet after it, if that has arrived (Opus in-band FEC, RFC 7587
// section 3.3).
func (p *playState) recover(frame []int16, jb *jitterBuffer) bool {
	if p.fec == nil {
		return false
	}
	n := jb.peek(p.payload)
	if n == 0 {
		return false
	}
	got, err := p.fec.DecodeFEC(p.decoded, p.payload[:n])
	if err != nil {
		return false
	}
	if got < len(frame) {
		clear(frame[got:])
	}
	return true
}

// concealFrame fills frame in place of a lost one: the decoder's own
// concealment when it has one (Opus), else the last frame repeated at
// half the level each time, then silence.
func (p *playState) concealFrame(frame []int16) {
	if p.conceal != nil {
		got, err := p.conceal.Conceal(frame)
		if err != nil {
			got = 0
		}
		clear(frame[got:])
		return
	}
	if p.fading++; p.fading > fadeFrames {
		clear(frame)
		return
	}
	for i, v := range frame {
		frame[i] = v / 2
	}
}

// publish adds the growth of the stream's counters since the last call to
// Metrics. The clock calls it, and finish once the clock is done.
func (s *Stream) publish() {
	now := s.counters.snapshot()
	d := now.since(s.send.published)
	s.send.published = now
	s.metrics.add(&d)
}
