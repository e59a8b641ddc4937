package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/voiced/voiced/media"
)

// Server answers SIP calls for a Handler. Create it with New, start it
// with ListenAndServe or ServeBackground, and stop it with Shutdown
// (drain) or Close (at once).
type Server struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	auth    *authenticator
	ua      *sipgo.UserAgent
	sip     *sipgo.Server
	client  *sipgo.Client
	// handlers are the request handlers by method, set once by New.
	handlers map[sip.RequestMethod]requestHandler
	// t1 and t2 are the timers of 2xx retransmission (RFC 3261 section
	// 17.1.1.1), sipgo's by default.
	t1, t2 time.Duration

	// ctx lives until Close; calls and setups end with it.
	ctx    context.Context
	cancel context.CancelFunc
	// wg counts every goroutine the server started and every sipgo
	// handler running in it.
	wg sync.WaitGroup

	mu sync.Mutex // guards the fields below
	// state is idle until served, then serving, draining or closed.
	state serverState
	// calls are the answered calls by dialog ID; slots counts them plus
	// the calls being set up, against MaxCalls.
	calls     map[string]*Call
	slots     int
	slotFreed chan struct{}
	addrs     ListenAddrs
	contacts  map[string]sip.ContactHeader
	dialogUAs map[string]*sipgo.DialogUA
	listeners []interface{ Close() error }
	regs      *registrations

	closeOnce sync.Once
	done      chan struct{} // closed when Close has finished
}

type serverState int

const (
	stateIdle serverState = iota
	stateServing
	stateDraining
	stateClosed
)

// New checks cfg, fills its defaults and prepares a server; nothing
// listens until ListenAndServe or ServeBackground.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		calls:     make(map[string]*Call),
		slotFreed: make(chan struct{}, 1),
		done:      make(chan struct{}),
		t1:        sip.T1,
		t2:        sip.T2,
	}
	if s.metrics, err = newMetrics(cfg.Registerer); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	if s.auth, err = newAuthenticator(cfg.Trunks, cfg.Realm, cfg.Now); err != nil {
		return nil, err
	}
	if err := s.newUserAgent(); err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.routes()
	return s, nil
}

// newUserAgent builds sipgo's user agent, server and client around our
// logger.
func (s *Server) newUserAgent() error {
	logs := newSipgoLogger(s.log, s.metrics.malformed.Inc)
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(s.cfg.UserAgent),
		sipgo.WithUserAgentHostname(s.cfg.PublicAddr.String()),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(logs)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(logs),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})),
	)
	if err != nil {
		return fmt.Errorf("sip user agent: %w", err)
	}
	s.ua = ua
	if s.sip, err = sipgo.NewServer(ua, sipgo.WithServerLogger(logs)); err != nil {
		return fmt.Errorf("sip server: %w", err)
	}
	s.client, err = sipgo.NewClient(ua, sipgo.WithClientLogger(logs),
		sipgo.WithClientHostname(s.cfg.PublicAddr.String()))
	if err != nil {
		return fmt.Errorf("sip client: %w", err)
	}
	return nil
}

// ListenAndServe serves until ctx ends and then shuts down gracefully,
// as Shutdown does. It returns ErrServerClosed when Shutdown or Close
// stopped the server first.
func (s *Server) ListenAndServe(ctx context.Context) error {
	if err := s.ServeBackground(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return s.Shutdown(context.WithoutCancel(ctx))
	case <-s.done:
		return ErrServerClosed
	}
}

// ServeBackground binds the listeners, starts serving on them and returns
// once they accept requests, so that Addr reports them. ctx bounds only
// the start; the server runs until Shutdown or Close.
func (s *Server) ServeBackground(ctx context.Context) error {
	s.mu.Lock()
	if s.state != stateIdle {
		s.mu.Unlock()
		return fmt.Errorf("serve: %w", ErrServerClosed)
	}
	s.state = stateServing
	s.mu.Unlock()

	if err := ctx.Err(); err != nil {
		s.Close()
		return err
	}
	// The clock is set before the first request can need it.
	if s.cfg.Clock == nil {
		clock := media.NewClock(media.ClockMetrics(s.cfg.Metrics))
		s.cfg.Clock = clock
		s.wg.Go(func() { _ = clock.Run(s.ctx) })
	}
	if err := s.listen(); err != nil {
		s.Close()
		return err
	}
	s.startRegistrations()
	a := s.Addr()
	s.log.Info("sip server listening", "udp", a.UDP, "tcp", a.TCP, "tls", a.TLS)
	return nil
}

// Addr returns the bound listener addresses; zero before serving.
func (s *Server) Addr() ListenAddrs {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs
}

// Addrs returns the bound UDP and TCP addresses, which share a port
// whenever Listen allowed it.
func (s *Server) Addrs() (udp, tcp netip.AddrPort) {
	a := s.Addr()
	return a.UDP, a.TCP
}

// Shutdown drains the server: new INVITEs and OPTIONS get 503 with
// Retry-After (so that load balancers stop sending), running calls go on
// until they end or DrainGrace passes and are then hung up with BYE,
// trunks unregister, and the listeners close. It returns when everything
// the server started has stopped, or when ctx ends, after closing at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.state == stateClosed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.state = stateDraining
	s.mu.Unlock()
	s.log.Info("sip server draining", "calls", s.activeCalls(), "grace", s.cfg.DrainGrace)

	if err := s.drain(ctx); err != nil {
		s.Close()
		return err
	}
	s.stopRegistrations(ctx)
	s.Close()
	return nil
}

// drain waits for the calls to end, hangs up those still running after
// DrainGrace, and waits for them too.
func (s *Server) drain(ctx context.Context) error {
	grace := time.NewTimer(s.cfg.DrainGrace)
	defer grace.Stop()
	for s.activeCalls() > 0 {
		select {
		case <-s.slotFreed:
		case <-grace.C:
			s.hangupAll(ctx, "drain")
			// Calls that were being set up when the grace ended are
			// answered later; hang those up as they come.
			grace.Reset(time.Second)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close stops the server at once: calls end without BYE, registrations
// stop without unregistering, and the listeners close. It waits for the
// server's goroutines, ServeCall included, and is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.state = stateClosed
		listeners := s.listeners
		s.mu.Unlock()

		s.cancel()
		var errs []error
		for _, l := range listeners {
			if err := l.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		s.wg.Wait()
		if err := s.ua.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			s.log.Debug("sip listeners closed with errors", "err", err)
		}
		close(s.done)
	})
	<-s.done
	return nil
}

// track counts a goroutine or handler into wg unless the server is
// closed; every true must be matched by wg.Done.
func (s *Server) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == stateClosed {
		return false
	}
	s.wg.Add(1)
	return true
}

// admit takes a call slot, or says why not with a 503.
func (s *Server) admit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.state == stateDraining || s.state == stateClosed:
		return &StatusError{Code: 503, Reason: "Service Unavailable", RetryAfter: s.cfg.RetryAfter,
			Err: errDraining}
	case s.slots >= s.cfg.MaxCalls:
		return &StatusError{Code: 503, Reason: "Service Unavailable", RetryAfter: s.cfg.RetryAfter,
			Err: errBusy}
	}
	s.slots++
	s.metrics.callsActive.Inc()
	return nil
}

// release gives back a call slot.
func (s *Server) release() {
	s.mu.Lock()
	s.slots--
	s.mu.Unlock()
	s.metrics.callsActive.Dec()
	select {
	case s.slotFreed <- struct{}{}:
	default:
	}
}

func (s *Server) activeCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slots
}

func (s *Server) draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state == stateDraining
}

// addCall files an answered call under its dialog ID.
func (s *Server) addCall(c *Call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == stateClosed {
		return ErrServerClosed
	}
	s.calls[c.dialogID] = c
	return nil
}

// removeCall forgets an ended call and frees its slot.
func (s *Server) removeCall(c *Call) {
	s.mu.Lock()
	delete(s.calls, c.dialogID)
	s.mu.Unlock()
	s.release()
}

func (s *Server) callByDialog(id string) *Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id]
}

// hangupAll ends every call with BYE and waits until they are over.
func (s *Server) hangupAll(ctx context.Context, reason string) {
	s.mu.Lock()
	calls := make([]*Call, 0, len(s.calls))
	for _, c := range s.calls {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	for _, c := range calls {
		c.hangup(reason)
	}
	for _, c := range calls {
		select {
		case <-c.finished:
		case <-ctx.Done():
			return
		}
	}
}
