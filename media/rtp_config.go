package media

import (
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Stream defaults.
const (
	// DefaultNoRTPTimeout is how long a stream waits for a packet before
	// Run gives up with ErrNoRTP.
	DefaultNoRTPTimeout = 30 * time.Second
	// DefaultJitterDelay is the jitter buffer's target delay.
	DefaultJitterDelay = 60 * time.Millisecond
	// dtmfQueueLen is how many digits SendDTMF queues ahead.
	dtmfQueueLen = 32
)

// StreamConfig configures one call's RTP stream.
type StreamConfig struct {
	// Conn is the bound local socket from Ports.Allocate. The stream owns
	// it and closes it on Close.
	Conn *net.UDPConn
	// Remote is where the peer's SDP says to send. The source of the
	// first valid packet replaces it (symmetric RTP latching, RFC 4961).
	// An invalid Remote (an SDP without an address, or 0.0.0.0) sends
	// nothing until a packet has latched.
	Remote netip.AddrPort
	// Codec is the negotiated audio codec.
	Codec Codec
	// DTMFPayloadType is the negotiated telephone-event payload type; 0
	// means telephone-events were not negotiated.
	DTMFPayloadType uint8
	// DTMFClockRate is the telephone-event rtpmap clock rate; 0 means the
	// audio codec's ClockRate (RFC 4733 section 2.1).
	DTMFClockRate int
	// SRTP, when set, protects both directions.
	SRTP *SRTPConfig
	// Clock paces the stream; all streams of a process share one. When
	// nil, Run runs a clock of its own.
	Clock *Clock
	// Recorder, when set, receives caller audio on the left and agent audio
	// on the right, one frame per tick. The stream does not close it.
	Recorder *Recorder
	// NoRTPTimeout ends Run with ErrNoRTP; zero means 30 s.
	NoRTPTimeout time.Duration
	// JitterDelay is how much audio the jitter buffer holds before playing;
	// zero means 60 ms.
	JitterDelay time.Duration
	// OnAudio receives each 20 ms frame of caller audio at PipelineRate on
	// the clock's goroutine, silence included, so that time runs evenly
	// for whoever listens. It must not block or keep pcm. SetOnAudio
	// replaces it.
	OnAudio func(pcm []int16)
	// OnDTMF receives each telephone-event key press once, as soon as its
	// first packet arrives, on the receive goroutine. It must not block.
	OnDTMF func(digit rune)
	// Metrics counts packets and anomalies; nil counts nothing.
	Metrics *Metrics
}

// validateStreamConfig checks what NewStream cannot do without.
func validateStreamConfig(cfg *StreamConfig) error {
	switch {
	case cfg.Conn == nil:
		return fmt.Errorf("new stream: %w: no socket", ErrStreamConfig)
	case cfg.Codec.ClockRate <= 0 || cfg.Codec.SampleRate <= 0:
		return fmt.Errorf("new stream: %w: codec %q without rates",
			ErrStreamConfig, cfg.Codec.Name)
	case cfg.Codec.PayloadType > 127 || cfg.DTMFPayloadType > 127:
		return fmt.Errorf("new stream: %w: payload type beyond 127", ErrStreamConfig)
	case cfg.DTMFPayloadType != 0 && cfg.DTMFPayloadType == cfg.Codec.PayloadType:
		return fmt.Errorf("new stream: %w: audio and telephone-event share "+
			"payload type %d", ErrStreamConfig, cfg.DTMFPayloadType)
	case cfg.NoRTPTimeout < 0 || cfg.JitterDelay < 0:
		return fmt.Errorf("new stream: %w: negative duration", ErrStreamConfig)
	}
	return nil
}
