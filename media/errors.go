package media

import "errors"

// Sentinel errors of the codecs, the resampler and telephone-events.
// Errors of the RTP session live in stream_errors.go.
var (
	// ErrUnsupportedCodec means a Codec names an encoding, clock rate or
	// sample rate that voiced cannot encode or decode.
	ErrUnsupportedCodec = errors.New("media: unsupported codec")
	// ErrUnsupportedRate means NewResampler was given a rate other than
	// 8000, 16000, 24000 or 48000 Hz.
	ErrUnsupportedRate = errors.New("media: unsupported sample rate")
	// ErrShortBuffer means a destination slice cannot hold the result.
	ErrShortBuffer = errors.New("media: destination buffer too short")
	// ErrFrameSize means the PCM given to an encoder is not a length the
	// codec can encode.
	ErrFrameSize = errors.New("media: invalid pcm frame length")
	// ErrEmptyPayload means a decoder was given a zero-length payload that
	// its format does not allow.
	ErrEmptyPayload = errors.New("media: empty payload")
	// ErrCodecClosed is returned by an Encoder or Decoder used after
	// Close.
	ErrCodecClosed = errors.New("media: codec closed")
	// ErrShortEvent means a telephone-event payload is shorter than the
	// four bytes of RFC 4733 section 2.3.
	ErrShortEvent = errors.New("media: telephone-event payload shorter than 4 bytes")
	// ErrNotDigit means a rune is not one of the sixteen DTMF keys.
	ErrNotDigit = errors.New("media: not a dtmf digit")

	// errG722Init means spandsp could not allocate a G.722 state.
	errG722Init = errors.New("media: g722: spandsp state allocation failed")
)
