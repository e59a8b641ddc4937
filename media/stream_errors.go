package media

import "errors"

// Sentinel errors of the RTP session, the clock and the port allocator.
var (
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
)
