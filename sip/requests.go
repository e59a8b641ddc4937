package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// What we tell peers we do (RFC 3261 sections 20.1, 20.5 and 20.37).
const (
	allowMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY"
	acceptTypes  = "application/sdp, application/dtmf-relay, application/dtmf, message/sipfrag"
)

// routes registers a handler for every method we serve; anything else
// gets 405 with Allow.
func (s *Server) routes() {
	s.handlers = map[sip.RequestMethod]requestHandler{
		sip.INVITE:  s.onInvite,
		sip.ACK:     s.onAck,
		sip.CANCEL:  s.onCancel,
		sip.BYE:     s.inDialog((*Call).onBye),
		sip.INFO:    s.inDialog((*Call).onInfo),
		sip.NOTIFY:  s.inDialog((*Call).onNotify),
		sip.OPTIONS: s.onOptions,
	}
	for method, h := range s.handlers {
		s.sip.OnRequest(method, s.wrap(h))
	}
	s.sip.OnNoRoute(s.wrap(s.onUnknownMethod))
}

// dispatch routes a request as sipgo's server does; the fuzz target
// feeds parsed requests through it.
func (s *Server) dispatch(req *sip.Request, tx sip.ServerTransaction) {
	h, ok := s.handlers[req.Method]
	if !ok {
		h = s.onUnknownMethod
	}
	s.wrap(h)(req, tx)
}

// requestHandler is what wrap adapts to sipgo.
type requestHandler func(req *sip.Request, tx sip.ServerTransaction)

// wrap counts, validates and guards a handler, and tracks it as one of
// the server's goroutines so that Close waits for it.
func (s *Server) wrap(h requestHandler) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if !s.track() {
			return
		}
		defer s.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				s.metrics.panics.Inc()
				s.log.Error("sip handler panicked", "method", req.Method.String(), "panic", r)
				s.respondError(tx, req, statusError(500, "", fmt.Errorf("panic: %v", r)))
			}
		}()
		s.metrics.request(req.Method.String())
		if err := validateRequest(req); err != nil {
			s.respondError(tx, req, err)
			return
		}
		h(req, tx)
	}
}

// validateRequest checks what every handler relies on (RFC 3261 section
// 8.2): the protocol version, the mandatory headers, a CSeq that names the
// method, a URI scheme we know and no extension we would have to support.
func validateRequest(req *sip.Request) error {
	if req.SipVersion != "SIP/2.0" {
		return statusError(505, "Version Not Supported", fmt.Errorf("version %q", req.SipVersion))
	}
	if h := missingHeader(req); h != "" {
		return statusError(400, "Missing "+h, fmt.Errorf("no %s header", h))
	}
	// sipgo may normalise the case of one of the two spellings.
	if !strings.EqualFold(string(req.CSeq().MethodName), string(req.Method)) {
		return statusError(400, "CSeq Method Mismatch", fmt.Errorf("cseq method %q for %s",
			req.CSeq().MethodName, req.Method))
	}
	switch strings.ToLower(req.Recipient.Scheme) {
	case "sip", "sips", "tel":
	default:
		// RFC 3261 section 8.2.2.1.
		return statusError(416, "Unsupported URI Scheme",
			fmt.Errorf("request-uri scheme %q", req.Recipient.Scheme))
	}
	if req.IsAck() || req.IsCancel() {
		return nil
	}
	if tags := requiredExtensions(req); len(tags) > 0 {
		// RFC 3261 section 8.2.2.3: we support no extension.
		return &StatusError{Code: 420, Reason: "Bad Extension",
			Headers: []Header{{Name: "Unsupported", Value: strings.Join(tags, ", ")}},
			Err:     fmt.Errorf("required extensions %v", tags)}
	}
	return nil
}

func missingHeader(req *sip.Request) string {
	switch {
	case req.From() == nil:
		return "From"
	case req.To() == nil:
		return "To"
	case req.CallID() == nil || req.CallID().Value() == "":
		return "Call-ID"
	case req.CSeq() == nil:
		return "CSeq"
	case req.Via() == nil:
		return "Via"
	}
	return ""
}

// requiredExtensions lists the option tags of the Require headers.
func requiredExtensions(req *sip.Request) []string {
	var tags []string
	for _, h := range req.GetHeaders("Require") {
		for _, tag := range strings.Split(h.Value(), ",") {
			if tag = strings.TrimSpace(tag); tag != "" {
				tags = append(tags, tag)
			}
		}
	}
	return tags
}

// respond sends a response to req with our Server header and counts it.
func (s *Server) respond(tx sip.ServerTransaction, res *sip.Response) error {
	// NewResponseFromRequest copies the request's version, which may be
	// one we refuse.
	res.SipVersion = "SIP/2.0"
	if res.GetHeader("Server") == nil {
		res.AppendHeader(sip.NewHeader("Server", s.cfg.UserAgent))
	}
	if err := tx.Respond(res); err != nil {
		return fmt.Errorf("respond %d: %w", res.StatusCode, err)
	}
	s.metrics.response(res.StatusCode)
	return nil
}

// respondError is the edge where errors become responses: a *StatusError
// gives its status and headers, anything else 500. ACKs get nothing.
func (s *Server) respondError(tx sip.ServerTransaction, req *sip.Request, err error) {
	if req.IsAck() || tx == nil {
		return
	}
	var se *StatusError
	if !errors.As(err, &se) {
		se = statusError(500, "", err)
	}
	reason := se.Reason
	if reason == "" {
		reason = statusText(se.Code)
	}
	res := sip.NewResponseFromRequest(req, se.Code, reason, nil)
	if se.Warning != nil {
		res.AppendHeader(sip.NewHeader("Warning", fmt.Sprintf("%d %s %q",
			se.Warning.Code, s.cfg.PublicAddr, se.Warning.Text)))
	}
	if se.RetryAfter > 0 {
		res.AppendHeader(sip.NewHeader("Retry-After",
			strconv.Itoa(int(se.RetryAfter.Round(time.Second)/time.Second))))
	}
	if se.Code == 405 {
		res.AppendHeader(sip.NewHeader("Allow", allowMethods))
	}
	if se.Code == 415 {
		res.AppendHeader(sip.NewHeader("Accept", acceptTypes))
	}
	for _, h := range se.Headers {
		res.AppendHeader(sip.NewHeader(h.Name, h.Value))
	}
	if err := s.respond(tx, res); err != nil {
		s.log.Debug("sip response not sent", "sip_call_id", callIDOf(req), "err", err)
	}
}

// respondOK answers req with a bodiless status.
func (s *Server) respondStatus(tx sip.ServerTransaction, req *sip.Request, code int,
	hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, statusText(code), nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := s.respond(tx, res); err != nil {
		s.log.Debug("sip response not sent", "sip_call_id", callIDOf(req), "err", err)
	}
}

// onOptions answers anyone (RFC 3261 section 11.2) while serving; while
// draining it answers 503 so that load balancers take us out.
func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	if s.draining() {
		s.respondError(tx, req, &StatusError{Code: 503, RetryAfter: s.cfg.RetryAfter,
			Err: errDraining})
		return
	}
	s.respondStatus(tx, req, 200,
		sip.NewHeader("Allow", allowMethods),
		sip.NewHeader("Accept", acceptTypes),
		sip.NewHeader("Accept-Encoding", "identity"),
		sip.NewHeader("Supported", ""))
}

// onUnknownMethod answers methods we do not serve, REGISTER included:
// we are no registrar (RFC 3261 section 8.2.1).
func (s *Server) onUnknownMethod(req *sip.Request, tx sip.ServerTransaction) {
	s.respondError(tx, req, statusError(405, "", fmt.Errorf("method %s", req.Method)))
}

// onCancel answers a CANCEL that matched no INVITE transaction; sipgo's
// transaction layer has already answered those that did (RFC 3261
// section 9.2).
func (s *Server) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	s.respondStatus(tx, req, 481)
}

// onAck hands an ACK to its call; an ACK for a non-2xx response never
// gets here, it ends in its INVITE transaction.
func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := s.callFor(req); c != nil {
		c.onAck(req)
	}
}

// inDialog dispatches a request within a dialog to its call's loop; a
// request for no known dialog gets 481 (RFC 3261 section 12.2.2).
func (s *Server) inDialog(h func(*Call, *sip.Request, sip.ServerTransaction)) requestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		c := s.callFor(req)
		if c == nil {
			s.respondStatus(tx, req, 481)
			return
		}
		h(c, req, tx)
	}
}

// callFor finds the call of a request within a dialog.
func (s *Server) callFor(req *sip.Request) *Call {
	if !req.To().Params.Has("tag") {
		return nil
	}
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	return s.callByDialog(id)
}

// sourceOf is the address a request came from.
func sourceOf(req *sip.Request) netip.AddrPort {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func callIDOf(req *sip.Request) string {
	if h := req.CallID(); h != nil {
		return h.Value()
	}
	return ""
}

// userOf returns the number a request is for: the Request-URI's user, or
// the To header's (RFC 3261 section 8.2.2.1).
func userOf(req *sip.Request) string {
	if u := req.Recipient.User; u != "" {
		return u
	}
	if to := req.To(); to != nil {
		return to.Address.User
	}
	return ""
}

// contentType returns the media type of req's body, lowercased, without
// parameters.
func contentType(req *sip.Request) string {
	h := req.ContentType()
	if h == nil {
		return ""
	}
	t, _, _ := strings.Cut(h.Value(), ";")
	return strings.ToLower(strings.TrimSpace(t))
}
