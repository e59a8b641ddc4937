package media

import (
	"fmt"
	"strings"
)

// The payload formats voiced speaks. PayloadType holds the static type of
// RFC 3551 section 6, or for dynamic formats the number voiced offers;
// copy the value and set the type the SDP answer agreed.
var (
	// PCMU is G.711 µ-law (RFC 3551 section 4.5.14), static type 0.
	PCMU = Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000, Channels: 1, SampleRate: 8000}
	// PCMA is G.711 A-law (RFC 3551 section 4.5.14), static type 8.
	PCMA = Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000, Channels: 1, SampleRate: 8000}
	// G722 is G.722 at 64 kbit/s (RFC 3551 section 4.5.2), static type 9:
	// 16 kHz audio on an 8000 Hz RTP clock.
	G722 = Codec{Name: "G722", PayloadType: 9, ClockRate: 8000, Channels: 1, SampleRate: 16000}
	// Opus is Opus (RFC 7587), offered as dynamic type 111. SDP says
	// opus/48000/2 (RFC 7587 section 7); voiced encodes and decodes mono
	// at PipelineRate.
	Opus = Codec{
		Name: "opus", PayloadType: 111, ClockRate: 48000, Channels: 2, SampleRate: PipelineRate,
	}
	// TelephoneEvent is the RFC 4733 telephone-event format at 8000 Hz,
	// offered as dynamic type 101. It carries no PCM; SampleRate equals
	// ClockRate so that durations convert the same way as audio.
	TelephoneEvent = Codec{
		Name: "telephone-event", PayloadType: 101, ClockRate: 8000, Channels: 1, SampleRate: 8000,
	}
)

// PayloadBufferSize is large enough for the payload of any 20 ms frame the
// encoders produce and for any payload that arrives in one unfragmented
// Ethernet datagram, the largest Opus frame (1275 bytes) included.
const PayloadBufferSize = 1500

// DecodeBufferSize is how many samples a decode buffer needs for any
// payload of up to PayloadBufferSize bytes: G.722 yields two samples per
// byte, G.711 one, Opus at most 120 ms (1920 samples at 16 kHz).
const DecodeBufferSize = 2 * PayloadBufferSize

// SupportedCodecs returns the audio codecs voiced offers, in order of
// preference: wideband first. The slice is the caller's to modify.
func SupportedCodecs() []Codec {
	return []Codec{Opus, G722, PCMU, PCMA}
}

// LookupCodec returns the codec an SDP rtpmap names (RFC 8866 section
// 6.6), matching the encoding name case-insensitively and the clock rate
// exactly, so that G.722 is found at 8000 and Opus at 48000.
// telephone-event is found at 8000, 16000 and 48000: an event stream
// keeps the clock of the audio beside it, so peers that speak Opus offer
// telephone-event/48000.
func LookupCodec(name string, clockRate int) (Codec, bool) {
	for _, c := range [...]Codec{Opus, G722, PCMU, PCMA} {
		if strings.EqualFold(name, c.Name) && clockRate == c.ClockRate {
			return c, true
		}
	}
	if strings.EqualFold(name, TelephoneEvent.Name) {
		switch clockRate {
		case 8000, 16000, 48000:
			c := TelephoneEvent
			c.ClockRate, c.SampleRate = clockRate, clockRate
			return c, true
		}
	}
	return Codec{}, false
}

// NewEncoder returns an encoder for c. Opus honours c.SampleRate (8, 12,
// 16, 24 or 48 kHz; 0 means PipelineRate); the other codecs have one
// rate and reject any other. Unknown codecs yield ErrUnsupportedCodec.
func NewEncoder(c Codec) (Encoder, error) {
	switch {
	case matchCodec(c, PCMU):
		return g711Encoder{table: ulawEncode}, nil
	case matchCodec(c, PCMA):
		return g711Encoder{table: alawEncode}, nil
	case matchCodec(c, G722):
		return newG722Encoder()
	case isOpus(c):
		return newOpusEncoder(opusRate(c), 1)
	}
	return nil, fmt.Errorf("new encoder %s/%d: %w", c.Name, c.ClockRate, ErrUnsupportedCodec)
}

// NewDecoder returns a decoder for c, under the same rules as NewEncoder.
// The Opus decoder also implements Concealer and FECDecoder.
func NewDecoder(c Codec) (Decoder, error) {
	switch {
	case matchCodec(c, PCMU):
		return g711Decoder{table: ulawDecode}, nil
	case matchCodec(c, PCMA):
		return g711Decoder{table: alawDecode}, nil
	case matchCodec(c, G722):
		return newG722Decoder()
	case isOpus(c):
		return newOpusDecoder(opusRate(c))
	}
	return nil, fmt.Errorf("new decoder %s/%d: %w", c.Name, c.ClockRate, ErrUnsupportedCodec)
}

// matchCodec reports whether c is want by name and clock rate, with the
// one sample rate want has (or none given).
func matchCodec(c, want Codec) bool {
	return strings.EqualFold(c.Name, want.Name) && c.ClockRate == want.ClockRate &&
		(c.SampleRate == 0 || c.SampleRate == want.SampleRate)
}

func isOpus(c Codec) bool {
	return strings.EqualFold(c.Name, Opus.Name) && c.ClockRate == Opus.ClockRate &&
		(c.SampleRate == 0 || opusRateOK(c.SampleRate))
}

func opusRate(c Codec) int {
	if c.SampleRate == 0 {
		return PipelineRate
	}
	return c.SampleRate
}
