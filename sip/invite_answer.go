package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"

	"github.com/emiago/sipgo/sip"

	"github.com/voiced/voiced/media"
)

// openMedia takes an RTP port, creates the recording and, under
// RTP/SAVP, our SDES key.
func (st *setup) openMedia() error {
	conn, err := st.s.cfg.Ports.Allocate()
	if err != nil {
		return &StatusError{Code: 503, RetryAfter: st.s.cfg.RetryAfter,
			Err: fmt.Errorf("rtp port: %w", err)}
	}
	st.conn = conn
	if err := st.createRecorder(); err != nil {
		return err
	}
	srtp := st.offer == nil && st.req.Transport() == transportTLS ||
		st.offer != nil && st.offer.crypto != nil
	if srtp {
		if st.key, err = media.NewSRTPKey(); err != nil {
			return statusError(500, "", err)
		}
	}
	return st.cancelled()
}

// answer builds the call and its stream, files the call and sends the
// 200 OK; from then on the call owns everything the setup held. After a
// delayed offer the 200 carries our offer and the stream waits for the
// ACK.
func (st *setup) answer() (*Call, error) {
	c := newCall(st)
	var body []byte
	if st.offer == nil {
		body = st.ourOffer(c)
	} else {
		stream, err := c.newStream(streamSpec{offer: st.offer, key: st.key})
		if err != nil {
			return nil, statusError(500, "", err)
		}
		st.stream = stream
		c.loop.session.port = int(stream.LocalAddr().Port())
		body = c.loop.session.marshalAnswer(answerSpec{offer: st.offer, key: st.key,
			dir: st.offer.dir.reciprocal()})
	}
	res := sip.NewSDPResponseFromRequest(st.dialog.InviteRequest, body)
	res.AppendHeader(&st.contact)
	st.dialog.InviteResponse = res

	if err := st.cancelled(); err != nil {
		return nil, err
	}
	if err := st.s.addCall(c); err != nil {
		return nil, statusError(503, "", err)
	}
	if err := st.s.respond(st.tx, res); err != nil {
		st.s.mu.Lock()
		delete(st.s.calls, c.dialogID)
		st.s.mu.Unlock()
		if errors.Is(err, sip.ErrTransactionCanceled) {
			return nil, errCancelled
		}
		return nil, err
	}
	c.awaitAck(res, st.req.CSeq().SeqNo, true)
	st.handOver()
	return c, nil
}

// ourOffer is the offer of a 200 to an INVITE without one: every codec we
// support, over RTP/SAVP with our key on TLS.
func (st *setup) ourOffer(c *Call) []byte {
	c.loop.session.port = st.conn.LocalAddr().(*net.UDPAddr).Port
	proto := protoAVP
	var crypto *sdesCrypto
	if st.key != nil {
		proto = protoSAVP
		crypto = &sdesCrypto{tag: 1, suite: suite80, key: st.key}
		c.loop.key = st.key
	}
	return c.loop.session.marshalOffer(st.s.cfg.Codecs, proto, crypto)
}

// handOver forgets what the call now owns, so that abandon leaves it.
func (st *setup) handOver() {
	st.slot, st.conn, st.rec, st.stream = false, nil, nil, nil
}

// abandon releases whatever the setup still holds: nothing it allocated
// outlives a rejected or cancelled INVITE.
func (st *setup) abandon() {
	switch {
	case st.stream != nil:
		st.stream.Close()
	case st.conn != nil:
		st.conn.Close()
	}
	if st.rec != nil {
		st.rec.Close()
		os.Remove(filepath.Join(st.s.cfg.RecordingsDir, st.recPath))
	}
	if st.slot {
		st.s.release()
	}
	st.handOver()
}

// newCall builds the call of a setup; answer gives it its stream.
func newCall(st *setup) *Call {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Call{
		srv:       st.s,
		id:        st.id,
		dialogID:  st.dialog.ID,
		sipCallID: callIDOf(st.req),
		route:     st.route,
		inbound:   st.inbound,
		conn:      st.conn,
		rec:       st.rec,
		recPath:   st.recPath,
		startedAt: st.s.cfg.Now(),
		dialog:    st.dialog,
		transport: st.req.Transport(),
		contact:   st.contact,
		ctx:       ctx,
		cancel:    cancel,
		events:    make(chan func()),
		done:      make(chan struct{}),
		finished:  make(chan struct{}),
		dtmf:      make(chan rune, dtmfBuffer),
	}
	c.log = st.s.log.With("call_id", c.id, "sip_call_id", c.sipCallID)
	c.loop = callLoop{
		session: sdpSession{id: rand.Uint64N(1 << 62), version: 1, addr: st.s.cfg.PublicAddr},
		target:  st.req.Contact().Address,
	}
	return c
}
