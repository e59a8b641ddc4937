package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"

	"github.com/voiced/voiced/media"
)

// setup carries one initial INVITE from arrival to answer; each step
// fills what the next needs, and abandon releases what it holds.
type setup struct {
	s       *Server
	req     *sip.Request
	tx      sip.ServerTransaction
	start   time.Time
	trunk   *Trunk
	dialog  *sipgo.DialogServerSession
	contact sip.ContactHeader
	offer   *offer
	inbound Inbound
	route   Route
	id      string

	// held until the call owns them
	slot    bool
	conn    *net.UDPConn
	rec     *media.Recorder
	recPath string
	stream  *media.Stream
	key     []byte
}

// onInvite handles an INVITE: a re-INVITE goes to its call, an initial
// one is authenticated, admitted, negotiated, routed and answered.
func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.To().Params.Has("tag") {
		s.inDialog((*Call).onReinvite)(req, tx)
		return
	}
	st := &setup{s: s, req: req, tx: tx, start: time.Now()}
	// Once the call owns what the setup took, abandon has nothing left.
	defer st.abandon()
	c, err := st.run()
	if err != nil {
		s.metrics.calls.WithLabelValues(outcomeOf(err)).Inc()
		if errors.Is(err, errCancelled) {
			return
		}
		s.respondError(tx, st.responseBase(), err)
		return
	}
	s.metrics.calls.WithLabelValues(outcomeAnswered).Inc()
	s.metrics.setup.Observe(time.Since(st.start).Seconds())
	c.log.Info("call answered", "from", st.inbound.From, "to", st.inbound.User,
		"trunk", st.inbound.Trunk, "tenant", st.route.Tenant, "agent", st.route.Agent,
		"codec", c.codec.Name, "transport", req.Transport(), "delayed_offer", st.offer == nil)
	s.wg.Go(c.run)
}

// run takes the setup step by step up to the sent 200 OK.
func (st *setup) run() (*Call, error) {
	s := st.s
	trunk, err := s.auth.authenticate(st.req, sourceOf(st.req).Addr())
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.Code == 403 {
			s.metrics.authFailures.Inc()
		}
		return nil, err
	}
	st.trunk = trunk
	if err := s.admit(); err != nil {
		return nil, err
	}
	st.slot = true
	s.respondStatus(st.tx, st.req, 100)

	steps := []func() error{st.openDialog, st.negotiate, st.routeCall, st.openMedia}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return st.answer()
}

// responseBase is the request responses are built from: the dialog's copy
// once it exists, so that every response carries its To tag.
func (st *setup) responseBase() *sip.Request {
	if st.dialog != nil {
		return st.dialog.InviteRequest
	}
	return st.req
}

// openDialog creates the UAS dialog: our To tag, and the cancel hook that
// ends the setup's context on CANCEL.
func (st *setup) openDialog() error {
	contact, dua, ok := st.s.contactFor(st.req.Transport())
	if !ok {
		return statusError(400, "Unsupported Transport", fmt.Errorf("transport %q",
			st.req.Transport()))
	}
	d, err := dua.ReadInvite(st.req, st.tx)
	if err != nil {
		if errors.Is(err, sipgo.ErrDialogInviteNoContact) {
			return statusError(400, "Missing Contact", err)
		}
		if errors.Is(st.tx.Err(), sip.ErrTransactionCanceled) {
			return errCancelled
		}
		return statusError(400, "", fmt.Errorf("dialog: %w", err))
	}
	st.dialog, st.contact = d, contact
	st.id = newCallID()
	return nil
}

// negotiate answers the SDP offer. An INVITE without one is a delayed
// offer: st.offer stays nil, the 200 carries our offer and the ACK the
// answer (RFC 3261 section 13.2.1).
func (st *setup) negotiate() error {
	body := st.req.Body()
	if len(body) == 0 {
		return nil
	}
	if ct := contentType(st.req); ct != "application/sdp" {
		return statusError(415, "", fmt.Errorf("content type %q", ct))
	}
	o, err := negotiate(body, offerPolicy{codecs: st.s.cfg.Codecs,
		requireSRTP: st.req.Transport() == transportTLS})
	if err != nil {
		return err
	}
	st.offer = o
	return nil
}

// routeCall asks the handler where the call goes.
func (st *setup) routeCall() error {
	st.inbound = Inbound{
		User:        userOf(st.req),
		From:        st.req.From().Address.String(),
		Trunk:       st.trunk.Name,
		TrunkTenant: st.trunk.Tenant,
		Source:      sourceOf(st.req),
		CallID:      callIDOf(st.req),
	}
	ctx, stop := st.setupContext()
	defer stop()
	r, err := st.s.cfg.Handler.Route(ctx, st.inbound)
	if err == nil {
		st.route = r
		return st.cancelled()
	}
	if err := st.cancelled(); err != nil {
		return err
	}
	var se *StatusError
	switch {
	case errors.As(err, &se):
		return err
	case errors.Is(err, ErrNoRoute):
		return statusError(404, "", err)
	}
	return statusError(500, "", fmt.Errorf("route: %w", err))
}

// setupContext ends when the INVITE is cancelled or the server closes.
func (st *setup) setupContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(st.s.ctx)
	stop := context.AfterFunc(st.dialog.Context(), cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

// cancelled reports a CANCEL that arrived while we were working.
func (st *setup) cancelled() error {
	if st.dialog.Context().Err() != nil {
		return errCancelled
	}
	if st.s.ctx.Err() != nil {
		return statusError(503, "", ErrServerClosed)
	}
	return nil
}

// newCallID returns our call ID: time-ordered, so recordings sort.
func newCallID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// outcomeOf maps a setup's error to a voiced_sip_calls_total outcome.
func outcomeOf(err error) string {
	var se *StatusError
	switch {
	case errors.Is(err, errCancelled):
		return outcomeCancelled
	case errors.Is(err, errDraining):
		return outcomeDraining
	case errors.Is(err, errBusy):
		return outcomeRejectedBusy
	case !errors.As(err, &se):
		return outcomeFailed
	}
	switch se.Code {
	case 401:
		return outcomeChallenged
	case 403:
		return outcomeRejectedAuth
	case 404:
		return outcomeNoRoute
	case 488, 415:
		return outcomeNotAcceptable
	case 400, 505:
		return outcomeBadRequest
	}
	return outcomeFailed
}

// recordingPath is where a call's recording goes, relative to
// RecordingsDir: YYYY/MM/DD/<call id>.wav by UTC date.
func recordingPath(now time.Time, id string) string {
	return filepath.Join(now.UTC().Format("2006/01/02"), id+".wav")
}

// createRecorder creates the recording's folders and file.
func (st *setup) createRecorder() error {
	dir := st.s.cfg.RecordingsDir
	if dir == "" {
		return nil
	}
	rel := recordingPath(st.s.cfg.Now(), st.id)
	full := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
		return statusError(500, "", fmt.Errorf("recording folder: %w", err))
	}
	rec, err := media.CreateRecorder(full)
	if err != nil {
		return statusError(500, "", fmt.Errorf("create recording: %w", err))
	}
	st.rec, st.recPath = rec, rel
	return nil
}
