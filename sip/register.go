package sip

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Back-off of failed registrations: 1 s doubling to 5 min, with jitter.
const (
	regBackoffMin = time.Second
	regBackoffMax = 5 * time.Minute
	// unregisterTimeout bounds the REGISTER with Expires: 0 on Shutdown.
	unregisterTimeout = 5 * time.Second
)

// registrations are the outbound registrations' loops.
type registrations struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// unregister is set by Shutdown so that the loops remove their
	// bindings; Close leaves them to expire.
	unregister atomic.Bool
}

// startRegistrations starts one loop per trunk with a Registration.
func (s *Server) startRegistrations() {
	ctx, cancel := context.WithCancel(s.ctx)
	regs := &registrations{cancel: cancel}
	for i := range s.cfg.Trunks {
		t := &s.cfg.Trunks[i]
		if t.Register == nil {
			continue
		}
		r := s.newRegistrar(t)
		regs.wg.Add(1)
		s.wg.Go(func() {
			defer regs.wg.Done()
			r.run(ctx, &regs.unregister)
		})
	}
	s.mu.Lock()
	s.regs = regs
	s.mu.Unlock()
}

// stopRegistrations unregisters every trunk and waits for the loops.
func (s *Server) stopRegistrations(ctx context.Context) {
	s.mu.Lock()
	regs := s.regs
	s.mu.Unlock()
	if regs == nil {
		return
	}
	regs.unregister.Store(true)
	regs.cancel()
	done := make(chan struct{})
	go func() {
		regs.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// registrar keeps one trunk registered (RFC 3261 section 10.2): one
// Call-ID and a growing CSeq for all its REGISTERs.
type registrar struct {
	s         *Server
	trunk     string
	reg       Registration
	registrar sip.Uri
	transport string
	callID    string
	fromTag   string
	cseq      uint32
	expires   time.Duration
}

func (s *Server) newRegistrar(t *Trunk) *registrar {
	r := &registrar{s: s, trunk: t.Name, reg: *t.Register, transport: transportUDP,
		callID: newCallID(), fromTag: sip.GenerateTagN(16), cseq: 1,
		expires: t.Register.Expires}
	_ = sip.ParseUri(r.reg.Registrar, &r.registrar)
	if tp, ok := r.registrar.UriParams.Get("transport"); ok && tp != "" {
		r.transport = strings.ToUpper(tp)
	}
	return r
}

// run registers, refreshes before the granted expiry, backs off on
// failure and, when asked, unregisters as ctx ends.
func (r *registrar) run(ctx context.Context, unregister *atomic.Bool) {
	log := r.s.log.With("trunk", r.trunk)
	gauge := r.s.metrics.registered.WithLabelValues(r.trunk)
	backoff, registered := regBackoffMin, false
	for {
		granted, err := r.register(ctx, r.expires)
		var wait time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
		case err != nil:
			if registered || backoff == regBackoffMin {
				log.Warn("trunk registration failed", "err", err, "retry_in", backoff)
			}
			registered = false
			gauge.Set(0)
			wait = jittered(backoff)
			backoff = min(2*backoff, regBackoffMax)
		default:
			if !registered {
				log.Info("trunk registered", "expires", granted)
			}
			registered, backoff = true, regBackoffMin
			gauge.Set(1)
			wait = refreshAfter(granted)
		}
		if !sleep(ctx, wait) {
			break
		}
	}
	gauge.Set(0)
	if registered && unregister.Load() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unregisterTimeout)
		defer cancel()
		if _, err := r.register(uctx, 0); err != nil {
			log.Debug("trunk unregister failed", "err", err)
		}
	}
}

// refreshAfter is when to refresh a binding granted for d: halfway for
// short grants, a minute early for long ones.
func refreshAfter(d time.Duration) time.Duration {
	return d - min(d/2, time.Minute)
}

// jittered spreads d by up to a quarter either way.
func jittered(d time.Duration) time.Duration {
	return d - d/4 + rand.N(d/2+1)
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// register sends one REGISTER asking for expires, answering a digest
// challenge once, and returns the lifetime the registrar granted. A 423
// raises the asked lifetime to the registrar's Min-Expires (RFC 3261
// section 10.2.8).
func (r *registrar) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	res, err := r.send(ctx, expires)
	if err == nil && res.StatusCode == 423 && expires > 0 {
		if min := headerSeconds(res, "Min-Expires"); min > expires {
			r.expires = min
			res, err = r.send(ctx, min)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrRegistration, err)
	}
	if !res.IsSuccess() {
		return 0, fmt.Errorf("%w: registrar answered %d %s", ErrRegistration, res.StatusCode,
			res.Reason)
	}
	return r.granted(res, expires), nil
}

// send does one REGISTER transaction, with credentials after a challenge.
func (r *registrar) send(ctx context.Context, expires time.Duration) (*sip.Response, error) {
	req := r.request(expires)
	res, err := r.s.client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if (res.StatusCode == 401 || res.StatusCode == 407) && r.reg.Password != "" {
		res, err = r.s.client.DoDigestAuth(ctx, req, res,
			sipgo.DigestAuth{Username: r.reg.Username, Password: r.reg.Password})
		if err != nil {
			return nil, err
		}
	}
	r.cseq = req.CSeq().SeqNo + 1
	return res, nil
}

// request builds a REGISTER (RFC 3261 section 10.2).
func (r *registrar) request(expires time.Duration) *sip.Request {
	target := sip.Uri{Scheme: r.registrar.Scheme, Host: r.registrar.Host,
		Port: r.registrar.Port, UriParams: r.registrar.UriParams}
	req := sip.NewRequest(sip.REGISTER, target)
	aor := sip.Uri{Scheme: "sip", User: r.reg.Username, Host: r.reg.Domain}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", r.fromTag)
	to := &sip.ToHeader{Address: aor, Params: sip.NewParams()}
	callID := sip.CallIDHeader(r.callID)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: r.cseq, MethodName: sip.REGISTER})
	req.AppendHeader(r.contact())
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	req.AppendHeader(sip.NewHeader("User-Agent", r.s.cfg.UserAgent))
	req.SetTransport(r.transport)
	if r.transport == transportUDP {
		// Send from the listening socket, so that the registrar's view of
		// our address matches the Contact.
		udp := r.s.Addr().UDP
		req.Laddr = sip.Addr{IP: net.IP(udp.Addr().AsSlice()), Port: int(udp.Port())}
	}
	return req
}

// contact is our binding: the trunk's contact user at our address.
func (r *registrar) contact() *sip.ContactHeader {
	c, _, ok := r.s.contactFor(r.transport)
	if !ok {
		c, _, _ = r.s.contactFor(transportUDP)
	}
	c.Address.User = r.reg.Contact
	return &c
}

// granted reads the lifetime the registrar gave our binding: the expires
// parameter of our Contact in the response, else the Expires header,
// else what we asked for (RFC 3261 section 10.2.4).
func (r *registrar) granted(res *sip.Response, asked time.Duration) time.Duration {
	ours := r.contact().Address
	for _, h := range res.GetHeaders("Contact") {
		ch, ok := h.(*sip.ContactHeader)
		if !ok || ch.Address.User != ours.User || ch.Address.Port != ours.Port {
			continue
		}
		if v, ok := ch.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if d := headerSeconds(res, "Expires"); d > 0 {
		return d
	}
	return asked
}

// headerSeconds reads a header of delta-seconds; 0 when absent or bad.
func headerSeconds(res *sip.Response, name string) time.Duration {
	h := res.GetHeader(name)
	if h == nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(h.Value()))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
