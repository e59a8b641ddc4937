package media

import "errors"

// Sentinel errors of the media package, grouped by the part that returns
// them.
var (
	// Codecs, the resampler and telephone-events.
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

	// The recorder, its repair and the WAV reader.
	// ErrFrameMismatch is returned by Recorder.WriteFrame when the
	// caller's and the agent's sides of a frame differ in length.
	ErrFrameMismatch = errors.New("media: recorder frame sides differ in length")
	// ErrRecorderClosed is returned by Recorder.WriteFrame after Close.
	ErrRecorderClosed = errors.New("media: recorder closed")
	// ErrRecordingFull is returned by Recorder.WriteFrame when the
	// recording reached the 4 GiB a WAV file can describe (about 18 hours
	// at PipelineRate).
	ErrRecordingFull = errors.New("media: recording full")
	// ErrNotRecording is returned by RepairWAV for a file without the
	// Recorder's layout; such a file is left untouched.
	ErrNotRecording = errors.New("media: not a voiced recording")
	// ErrNotWAV is returned by ReadWAV for input that is not a RIFF WAVE
	// file.
	ErrNotWAV = errors.New("media: not a wav file")
	// ErrUnsupportedWAV is returned by ReadWAV for a WAVE file whose
	// samples are not 16-bit integer PCM.
	ErrUnsupportedWAV = errors.New("media: unsupported wav encoding")
	// ErrTruncatedWAV is returned by ReadWAV when the input ends inside a
	// chunk.
	ErrTruncatedWAV = errors.New("media: truncated wav file")

	// The RTP session, the clock and the port allocator.
	// ErrNoRTP is returned by Stream.Run when no packet arrived for the
	// configured NoRTPTimeout while the stream expected media.
	ErrNoRTP = errors.New("media: no rtp received")
	// ErrPortsExhausted means every port of the range is in use.
	ErrPortsExhausted = errors.New("media: rtp port range exhausted")
	// ErrPortRange means NewPorts was given an unusable range.
	ErrPortRange = errors.New("media: invalid rtp port range")
	// ErrStreamConfig means NewStream was given an unusable StreamConfig.
	ErrStreamConfig = errors.New("media: invalid stream config")
	// ErrStreamClosed is returned by Run and SendDTMF after Close.
	ErrStreamClosed = errors.New("media: stream closed")
	// ErrStreamRunning is returned by a second call of Run.
	ErrStreamRunning = errors.New("media: stream already running")
	// ErrClockRunning is returned by a second concurrent call of Clock.Run.
	ErrClockRunning = errors.New("media: clock already running")
	// ErrDTMFUnavailable means telephone-events were not negotiated.
	ErrDTMFUnavailable = errors.New("media: telephone-event not negotiated")
	// ErrDTMFQueueFull means SendDTMF was called faster than digits can
	// be sent.
	ErrDTMFQueueFull = errors.New("media: dtmf queue full")
	// ErrSRTPConfig means an SRTPConfig names an unknown profile or holds
	// keys of the wrong length.
	ErrSRTPConfig = errors.New("media: invalid srtp config")

	// errG722Init means spandsp could not allocate a G.722 state.
	errG722Init = errors.New("media: g722: spandsp state allocation failed")
)
