package sip

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/voiced/voiced/media"
)

// dtmfBuffer is how many digits DTMF holds for a slow reader; more are
// dropped.
const dtmfBuffer = 32

// Call is one answered call, handed to Handler.ServeCall. Its dialog
// state lives on one event loop; the methods below are safe to use from
// any goroutine.
type Call struct {
	srv       *Server
	log       *slog.Logger
	id        string
	dialogID  string
	sipCallID string
	route     Route
	inbound   Inbound
	codec     media.Codec
	stream    *media.Stream
	// conn is the RTP socket until a delayed offer's answer gives it to
	// the stream.
	conn      *net.UDPConn
	rec       *media.Recorder
	recPath   string
	startedAt time.Time
	dialog    *sipgo.DialogServerSession
	transport string
	contact   sip.ContactHeader

	// ctx is ServeCall's; it ends when the call ends.
	ctx    context.Context
	cancel context.CancelFunc
	// events carries work for the loop; done closes when the call has
	// ended, finished when it has released everything and sent its BYE.
	events   chan func()
	done     chan struct{}
	finished chan struct{}
	dtmf     chan rune

	// loop is touched only by the loop's goroutine (and by the setup
	// before the loop starts).
	loop callLoop
}

// callLoop is the dialog state the loop owns.
type callLoop struct {
	session sdpSession
	offer   *offer
	key     []byte
	held    bool
	// target is where requests within the dialog go (RFC 3261 section
	// 12.2.1.1), the peer's Contact.
	target sip.Uri
	// answer is a 2xx awaiting its ACK.
	answer *pendingAnswer
	// transfer receives the status lines of NOTIFYs while a Transfer runs.
	transfer chan int
	// end says why the call ends, "" while it runs; bye whether we send
	// BYE. afterAck holds an end that must wait for the ACK (RFC 3261
	// section 15).
	end      string
	bye      bool
	afterAck string
	// streamDone delivers the stream's end once media run; stopStream
	// ends them.
	streamDone  chan error
	stopStream  context.CancelFunc
	streamErr   error
	streamEnded bool
}

// pendingAnswer is a 2xx to an INVITE that the loop retransmits until its
// ACK arrives (RFC 3261 section 13.3.1.4).
type pendingAnswer struct {
	res      *sip.Response
	cseq     uint32
	initial  bool
	interval time.Duration
	deadline time.Time
	timer    *time.Timer
}

// ID is our ID of the call: time-ordered, unique, the recording's name
// and the conversation's ID.
func (c *Call) ID() string { return c.id }

// SIPCallID is the Call-ID header of the call's dialog.
func (c *Call) SIPCallID() string { return c.sipCallID }

// Route is where the Handler routed the call.
func (c *Call) Route() Route { return c.route }

// Inbound describes how the call arrived.
func (c *Call) Inbound() Inbound { return c.inbound }

// Codec is the negotiated audio codec, with the peer's payload type.
func (c *Call) Codec() media.Codec { return c.codec }

// StartedAt is when the call was answered.
func (c *Call) StartedAt() time.Time { return c.startedAt }

// Playout is the queue of agent audio sent to the caller, at
// media.PipelineRate.
func (c *Call) Playout() *media.Playout { return c.stream.Playout() }

// SetAudioSink sets the receiver of the caller's audio: 20 ms frames at
// media.PipelineRate (16 kHz), on the media clock's goroutine; it must not
// block or keep pcm. It replaces the previous sink atomically; nil stops
// delivery.
func (c *Call) SetAudioSink(sink func(pcm []int16)) { c.stream.SetOnAudio(sink) }

// DTMF delivers the caller's key presses, from RFC 4733 telephone-events
// and from SIP INFO (application/dtmf-relay, application/dtmf) alike. It
// holds a few digits; more are dropped while nobody reads.
func (c *Call) DTMF() <-chan rune { return c.dtmf }

// SendDTMF sends one RFC 4733 key press to the caller.
func (c *Call) SendDTMF(digit rune) error {
	select {
	case <-c.done:
		return ErrCallEnded
	default:
	}
	return c.stream.SendDTMF(digit)
}

// RecordingPath is the call's recording relative to
// Config.RecordingsDir ("2026/01/02/<id>.wav"), "" when not recorded.
func (c *Call) RecordingPath() string { return c.recPath }

// Stats returns the counters of the call's RTP stream.
func (c *Call) Stats() media.StreamStats {
	if c.stream == nil {
		return media.StreamStats{}
	}
	return c.stream.Stats()
}

// Done is closed when the call has ended and released its media.
func (c *Call) Done() <-chan struct{} { return c.finished }

// Hangup ends the call with a BYE (RFC 3261 section 15.1.1) and waits
// until it is sent and answered, or ctx ends.
func (c *Call) Hangup(ctx context.Context) error {
	if !c.do(func() { c.end("hangup", true) }) {
		return ErrCallEnded
	}
	select {
	case <-c.finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hangup ends the call with a BYE without waiting.
func (c *Call) hangup(reason string) {
	c.do(func() { c.end(reason, true) })
}

// do runs f on the loop and waits for it; false when the call has ended.
func (c *Call) do(f func()) bool {
	ran := make(chan struct{})
	select {
	case c.events <- func() { defer close(ran); f() }:
	case <-c.done:
		return false
	}
	<-ran
	return true
}

// deliverDTMF queues a digit for DTMF without blocking.
func (c *Call) deliverDTMF(digit rune) {
	select {
	case c.dtmf <- digit:
	default:
		c.log.Debug("dtmf dropped, nobody reads", "digit", string(digit))
	}
}
