package media

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Stream is one call's RTP session (RFC 3550): a receive goroutine files
// the peer's packets into a jitter buffer, and on every tick of the
// shared Clock the stream plays one frame of them to OnAudio and sends
// one frame of its Playout queue. Run owns both; Close stops them.
type Stream struct {
	conn     *net.UDPConn
	local    netip.AddrPort
	codec    Codec
	dtmfPT   uint8
	clock    *Clock
	ownClock bool
	recorder *Recorder
	onDTMF   func(rune)
	metrics  *Metrics
	noRTP    time.Duration
	epoch    time.Time // arrival times are counted from it

	playout  *Playout
	jitter   *jitterBuffer
	srtp     *srtpSession
	counters streamCounters
	onAudio  atomic.Pointer[func([]int16)]
	dtmfOut  chan rune // digits SendDTMF queued for the clock

	// sdp is where the peer's SDP said to send; remote is where packets
	// go now and latched the source packets are accepted from, nil until
	// the first valid packet. SetRemote writes them, the receive goroutine
	// latches and the clock reads remote.
	sdp     atomic.Pointer[netip.AddrPort]
	remote  atomic.Pointer[netip.AddrPort]
	latched atomic.Pointer[netip.AddrPort]
	held    atomic.Bool
	lastRx  atomic.Int64 // arrival of the last valid packet, ns since epoch

	recv receiveState // owned by the receive goroutine
	play playState    // owned by the clock
	send sendState    // owned by the clock

	mu       sync.Mutex // guards started and closed
	started  bool
	closed   bool
	done     chan struct{} // closed by Close
	runDone  chan struct{} // closed when Run returns
	connOnce sync.Once     // closes conn once
}

// NewStream validates cfg and prepares the stream: codecs, resamplers,
// SRTP contexts and every buffer the per-frame work needs. Run starts
// it. If NewStream fails, cfg.Conn is left open for the caller.
func NewStream(cfg StreamConfig) (*Stream, error) {
	if err := validateStreamConfig(&cfg); err != nil {
		return nil, err
	}

	s := &Stream{
		conn:     cfg.Conn,
		codec:    cfg.Codec,
		dtmfPT:   cfg.DTMFPayloadType,
		clock:    cfg.Clock,
		recorder: cfg.Recorder,
		onDTMF:   cfg.OnDTMF,
		metrics:  cfg.Metrics,
		noRTP:    cmp.Or(cfg.NoRTPTimeout, DefaultNoRTPTimeout),
		epoch:    time.Now(),
		playout:  NewPlayout(),
		dtmfOut:  make(chan rune, dtmfQueueLen),
		done:     make(chan struct{}),
		runDone:  make(chan struct{}),
	}
	if addr, ok := cfg.Conn.LocalAddr().(*net.UDPAddr); ok {
		s.local = unmap(addr.AddrPort())
	}
	if s.clock == nil {
		s.clock, s.ownClock = NewClock(ClockWorkers(1), ClockMetrics(cfg.Metrics)), true
	}
	if cfg.OnAudio != nil {
		s.onAudio.Store(&cfg.OnAudio)
	}
	s.setRemote(cfg.Remote)

	if err := s.prepare(&cfg); err != nil {
		s.releaseCodecs()
		return nil, err
	}
	return s, nil
}

// prepare builds the codec, SRTP and buffer state of both directions.
func (s *Stream) prepare(cfg *StreamConfig) error {
	if cfg.SRTP != nil {
		sess, err := newSRTPSession(cfg.SRTP)
		if err != nil {
			return fmt.Errorf("new stream: %w", err)
		}
		s.srtp = sess
	}
	if err := s.play.init(cfg.Codec); err != nil {
		return fmt.Errorf("new stream: %w", err)
	}
	if err := s.send.init(cfg); err != nil {
		return fmt.Errorf("new stream: %w", err)
	}
	s.recv.init()

	slot := 640 // 80 ms of G.711 or G.722
	if isOpus(cfg.Codec) {
		slot = PayloadBufferSize
	}
	s.jitter = newJitterBuffer(cmp.Or(cfg.JitterDelay, DefaultJitterDelay), slot,
		cfg.Codec.ClockRate, &s.counters)
	return nil
}

// Run receives and sends until ctx ends or Close is called, and then
// returns nil, or until no RTP arrives for NoRTPTimeout while the stream
// is not on hold, and then returns ErrNoRTP. Before it returns, it stops
// every goroutine it started and closes the socket. A stream runs once:
// Run after Close returns ErrStreamClosed, a second Run ErrStreamRunning.
func (s *Stream) Run(ctx context.Context) error {
	if err := s.begin(); err != nil {
		return err
	}
	defer close(s.runDone)
	s.metrics.streamStarted()
	defer s.metrics.streamEnded()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(s.receive)
	if s.ownClock {
		wg.Go(func() { s.clock.Run(ctx) })
	}
	s.lastRx.Store(int64(time.Since(s.epoch)))
	shard := s.clock.add(s)

	err := s.watch(ctx)

	s.clock.remove(s, shard)
	cancel()
	s.closeConn()
	wg.Wait()
	s.finish()
	return err
}

// begin marks the stream started, unless it is closed or running.
func (s *Stream) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrStreamClosed
	case s.started:
		return ErrStreamRunning
	}
	s.started = true
	return nil
}

// watch waits for the end of the stream: ctx, Close, or the no-RTP
// timeout, which hold suspends.
func (s *Stream) watch(ctx context.Context) error {
	timer := time.NewTimer(s.noRTP)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.done:
			return nil
		case <-timer.C:
		}

		idle := time.Since(s.epoch) - time.Duration(s.lastRx.Load())
		switch {
		case s.held.Load():
			timer.Reset(s.noRTP)
		case idle >= s.noRTP:
			return ErrNoRTP
		default:
			timer.Reset(s.noRTP - idle)
		}
	}
}

// finish releases what the per-frame work used and publishes the last
// counters; the clock and the receive goroutine are done with it.
func (s *Stream) finish() {
	s.publish()
	s.metrics.observeJitter(time.Duration(s.counters.jitter.Load()))
	s.releaseCodecs()
}

// Close stops the stream, closes its socket and empties its playout
// queue, waking Drained waiters. If Run is running, Close waits for it to
// return, so it must not be called from OnAudio or OnDTMF: cancel Run's
// context there instead. Close is idempotent.
func (s *Stream) Close() error {
	s.mu.Lock()
	first, started := !s.closed, s.started
	s.closed = true
	s.mu.Unlock()

	var err error
	if first {
		close(s.done)
		err = s.closeConn()
		s.playout.Flush()
	}
	switch {
	case started:
		<-s.runDone
	case first:
		s.releaseCodecs()
	}
	return err
}

// closeConn closes the socket once, which also ends the receive loop.
func (s *Stream) closeConn() error {
	var err error
	s.connOnce.Do(func() {
		if err = s.conn.Close(); err != nil {
			err = fmt.Errorf("close rtp socket: %w", err)
		}
	})
	return err
}

// releaseCodecs closes the native codec state of both directions.
func (s *Stream) releaseCodecs() {
	s.play.close()
	s.send.close()
}

// Playout returns the queue of agent audio the stream sends.
func (s *Stream) Playout() *Playout { return s.playout }

// SetOnAudio replaces the OnAudio callback; nil stops delivery. The
// clock picks it up from its next tick, so a listener can be swapped
// without stopping the stream.
func (s *Stream) SetOnAudio(fn func(pcm []int16)) {
	if fn == nil {
		s.onAudio.Store(nil)
		return
	}
	s.onAudio.Store(&fn)
}

// SendDTMF queues one RFC 4733 key press: '0'-'9', '*', '#' or 'A'-'D'.
// While it is sent (about 140 ms), telephone-event packets replace the
// audio packets. It returns ErrDTMFUnavailable when telephone-events were
// not negotiated and ErrDTMFQueueFull when too many presses are pending.
func (s *Stream) SendDTMF(digit rune) error {
	if s.dtmfPT == 0 {
		return ErrDTMFUnavailable
	}
	if _, ok := CodeOf(digit); !ok {
		return fmt.Errorf("send dtmf %q: %w", digit, ErrNotDigit)
	}
	select {
	case <-s.done:
		return ErrStreamClosed
	default:
	}
	select {
	case s.dtmfOut <- digit:
		return nil
	default:
		return ErrDTMFQueueFull
	}
}

// SetRemote changes where packets go (a re-INVITE with a new address)
// and forgets the latched source, so that the first valid packet after it
// latches again.
func (s *Stream) SetRemote(addr netip.AddrPort) {
	s.setRemote(addr)
	s.latched.Store(nil)
}

func (s *Stream) setRemote(addr netip.AddrPort) {
	addr = unmap(addr)
	s.sdp.Store(&addr)
	if addr.IsValid() && !addr.Addr().IsUnspecified() && addr.Port() != 0 {
		s.remote.Store(&addr)
	} else {
		s.remote.Store(nil)
	}
}

// SetHold stops sending audio while held (RFC 3264 section 8.4,
// a=sendonly or a=inactive) and suspends the no-RTP timeout, which
// starts afresh when the hold ends. The playout queue keeps what it
// holds until then.
func (s *Stream) SetHold(held bool) {
	if !held {
		s.lastRx.Store(int64(time.Since(s.epoch)))
	}
	s.held.Store(held)
}

// Stats returns a snapshot of the stream's counters.
func (s *Stream) Stats() StreamStats { return s.counters.stats() }

// LocalAddr is the socket's address, for the SDP answer.
func (s *Stream) LocalAddr() netip.AddrPort { return s.local }

// unmap turns an IPv4-mapped IPv6 address into plain IPv4, as a dual-stack
// socket reports IPv4 peers, so that it compares equal to an SDP address.
func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
