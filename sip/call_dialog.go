package sip

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// onBye ends the call at the peer's request (RFC 3261 section 15.1.2). A
// BYE that crosses the end of the call still gets 200.
func (c *Call) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c.do(func() { c.end("bye", false) })
	c.srv.respondStatus(tx, req, 200)
}

// onInfo takes a DTMF digit from an INFO (application/dtmf-relay or
// application/dtmf); an INFO without a body is a keepalive.
func (c *Call) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	if !c.do(func() { c.info(req, tx) }) {
		c.srv.respondStatus(tx, req, 481)
	}
}

func (c *Call) info(req *sip.Request, tx sip.ServerTransaction) {
	if err := c.dialog.ReadRequest(req, tx); err != nil {
		c.srv.respondError(tx, req, statusError(500, "CSeq Out Of Order", err))
		return
	}
	if len(bytes.TrimSpace(req.Body())) == 0 {
		c.srv.respondStatus(tx, req, 200)
		return
	}
	digit, err := parseDTMFInfo(contentType(req), req.Body())
	if err != nil {
		c.srv.respondError(tx, req, err)
		return
	}
	c.srv.respondStatus(tx, req, 200)
	c.deliverDTMF(digit)
}

// onNotify takes the progress of a transfer (RFC 3515 section 2.4.5).
func (c *Call) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	if !c.do(func() { c.notify(req, tx) }) {
		c.srv.respondStatus(tx, req, 481)
	}
}

func (c *Call) notify(req *sip.Request, tx sip.ServerTransaction) {
	event := ""
	if h := req.GetHeader("Event"); h != nil {
		event, _, _ = strings.Cut(strings.TrimSpace(h.Value()), ";")
	}
	if !strings.EqualFold(event, "refer") {
		// RFC 6665 section 7.2.2: 489 Bad Event.
		c.srv.respondError(tx, req, statusError(489, "Bad Event", fmt.Errorf("event %q", event)))
		return
	}
	c.srv.respondStatus(tx, req, 200)
	code, err := parseSipfrag(req.Body())
	if err != nil {
		c.log.Debug("notify without a status line", "err", err)
		return
	}
	if c.loop.transfer != nil {
		select {
		case c.loop.transfer <- code:
		default:
		}
	}
}

// onReinvite renegotiates the session (RFC 3261 section 14.2).
func (c *Call) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	if !c.do(func() { c.reinvite(req, tx) }) {
		c.srv.respondStatus(tx, req, 481)
	}
}

// reinvite answers a re-offer: hold and resume, a new address, the same
// codec. What the stream cannot change (codec, payload type, profile,
// keys) is refused with 488 and the call goes on as it was.
func (c *Call) reinvite(req *sip.Request, tx sip.ServerTransaction) {
	if err := c.dialog.ReadRequest(req, tx); err != nil {
		c.srv.respondError(tx, req, statusError(500, "CSeq Out Of Order", err))
		return
	}
	if c.stream == nil {
		// Our offer of a delayed-offer call awaits its answer in the ACK
		// (RFC 3261 section 14.2).
		c.srv.respondError(tx, req, statusError(491, "", fmt.Errorf("offer pending")))
		return
	}
	o := c.loop.offer
	if len(req.Body()) != 0 {
		next, err := negotiate(req.Body(), offerPolicy{codecs: c.srv.cfg.Codecs,
			requireSRTP: c.transport == transportTLS, current: &c.codec})
		if err == nil {
			err = c.compatible(next)
		}
		if err != nil {
			c.srv.respondError(tx, req, err)
			return
		}
		o = next
	}
	c.apply(o)
	if contact := req.Contact(); contact != nil {
		c.loop.target = contact.Address
	}

	c.loop.session.version++
	body := c.loop.session.marshalAnswer(answerSpec{offer: o, key: c.loop.key,
		dir: o.dir.reciprocal()})
	res := sip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(&c.contact)
	if err := c.srv.respond(tx, res); err != nil {
		c.log.Debug("re-invite answer not sent", "err", err)
		return
	}
	c.awaitAck(res, req.CSeq().SeqNo, false)
}

// compatible refuses re-offers that would need a new stream.
func (c *Call) compatible(o *offer) error {
	cur := c.loop.offer
	why := ""
	switch {
	case !sameCodec(o.codec, c.codec) || o.codec.PayloadType != c.codec.PayloadType:
		why = "codec change"
	case o.proto != cur.proto:
		why = "profile change"
	case o.crypto != nil && (o.crypto.suite != cur.crypto.suite ||
		!bytes.Equal(o.crypto.key, cur.crypto.key)):
		why = "srtp key change"
	}
	if why == "" {
		return nil
	}
	return &StatusError{Code: 488, Reason: "Not Acceptable Here",
		Warning: &Warning{Code: 399, Text: why + " within a call is not supported"},
		Err:     fmt.Errorf("%w: %s", ErrNotAcceptable, why)}
}

// apply puts a re-offer into effect: hold (RFC 3264 section 8.4) and a
// new remote address.
func (c *Call) apply(o *offer) {
	if hold := o.hold(); hold != c.loop.held {
		c.stream.SetHold(hold)
		c.loop.held = hold
		c.log.Debug("hold changed", "held", hold)
	}
	if o.remote.IsValid() && o.remote != c.loop.offer.remote {
		c.stream.SetRemote(o.remote)
	}
	if !o.remote.IsValid() {
		o.remote = c.loop.offer.remote
	}
	c.loop.offer = o
}
