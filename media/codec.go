package media

import "time"

// PipelineRate is the sample rate of all audio inside a call: what the
// recorder stores, what the VAD and recognizer hear and what the playout
// queue holds.
const PipelineRate = 16000

// FrameDuration is the packetization time of every stream voiced sends.
const FrameDuration = 20 * time.Millisecond

// SamplesPerFrame returns how many mono samples 20 ms hold at rate.
func SamplesPerFrame(rate int) int { return rate / 50 }

// Codec describes one negotiated RTP payload format (RFC 3551, RFC 8866
// a=rtpmap).
type Codec struct {
	// Name is the encoding name as SDP spells it: "PCMU", "PCMA", "G722",
	// "opus" or "telephone-event".
	Name string
	// PayloadType is the RTP payload type agreed in SDP.
	PayloadType uint8
	// ClockRate is the RTP timestamp rate from the rtpmap. It differs from
	// SampleRate for G.722 (8000 by a historical error in RFC 1890, kept
	// by RFC 3551 section 4.5.2).
	ClockRate int
	// Channels is the channel count from the rtpmap (Opus always says 2,
	// RFC 7587 section 7).
	Channels int
	// SampleRate is the rate of the PCM that the codec's encoder takes and
	// its decoder gives.
	SampleRate int
}

// Encoder turns one 20 ms frame of mono PCM at the codec's SampleRate
// into an RTP payload.
type Encoder interface {
	// Encode writes the payload for pcm into dst and returns its length.
	Encode(dst []byte, pcm []int16) (int, error)
	// Close releases native resources; the encoder is unusable after it.
	Close() error
}

// Decoder turns an RTP payload into mono PCM at the codec's SampleRate.
type Decoder interface {
	// Decode writes the samples of payload into dst and returns how many.
	Decode(dst []int16, payload []byte) (int, error)
	// Close releases native resources; the decoder is unusable after it.
	Close() error
}

// Concealer is implemented by decoders that can synthesize a lost frame
// better than silence (Opus packet-loss concealment).
type Concealer interface {
	// Conceal writes one frame's worth of substitute samples into dst.
	Conceal(dst []int16) (int, error)
}
