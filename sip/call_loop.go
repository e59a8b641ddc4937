package sip

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/voiced/voiced/media"
)

// byeTimeout bounds how long an ending call waits for the answer to its
// BYE.
const byeTimeout = 5 * time.Second

// run is the call's event loop: it runs the stream and the handler, serves
// the dialog's requests and timers, and releases everything when the call
// ends. After a delayed offer the media start with the ACK's answer.
func (c *Call) run() {
	defer close(c.finished)
	if c.stream != nil {
		c.startMedia()
	}

	c.serve()

	c.cancel()
	close(c.done)
	c.stopAnswer()
	streamErr := c.stopMedia()
	if c.loop.bye {
		c.sendBye()
	}
	c.srv.removeCall(c)
	st := c.Stats()
	c.log.Info("call ended", "reason", c.loop.end, "duration",
		c.srv.cfg.Now().Sub(c.startedAt).Round(time.Millisecond), "stream_err", streamErr,
		"rtp_in", st.PacketsIn, "rtp_out", st.PacketsOut, "rtp_lost", st.Lost,
		"rtp_late", st.Late, "rtp_dropped", st.Dropped, "jitter", st.Jitter.Round(time.Microsecond))
}

// serve runs the loop until the call ends.
func (c *Call) serve() {
	for c.loop.end == "" {
		select {
		case f := <-c.events:
			f()
		case err := <-c.loop.streamDone:
			c.loop.streamDone, c.loop.streamErr = nil, err
			c.loop.streamEnded = true
			reason := "media ended"
			if errors.Is(err, media.ErrNoRTP) {
				reason = "no rtp"
			}
			c.end(reason, true)
			c.forceEnd()
		case <-c.retransmitC():
			c.retransmit()
		case <-c.srv.ctx.Done():
			c.end("server closed", false)
		}
	}
}

// serveHandler runs Handler.ServeCall on a goroutine of the server's.
func (c *Call) serveHandler() {
	c.srv.wg.Go(func() {
		defer func() {
			if r := recover(); r != nil {
				c.log.Error("serve call panicked", "panic", r)
				c.hangup("handler panicked")
			}
		}()
		c.srv.cfg.Handler.ServeCall(c.ctx, c)
	})
}

// end marks the call over. A BYE must wait for the ACK of our 2xx, or for
// its timeout, so an end with BYE before the ACK is kept until then.
func (c *Call) end(reason string, bye bool) {
	if c.loop.end != "" {
		return
	}
	if bye && c.loop.answer != nil && c.loop.answer.initial {
		if c.loop.afterAck == "" {
			c.loop.afterAck = reason
		}
		return
	}
	c.loop.end, c.loop.bye = reason, bye
}

// forceEnd ends the call even while an ACK is awaited.
func (c *Call) forceEnd() {
	if c.loop.end == "" && c.loop.afterAck != "" {
		c.loop.end, c.loop.bye = c.loop.afterAck, true
	}
	c.stopAnswer()
}

// awaitAck sends nothing; it arms the retransmission of res, a 2xx
// already sent, until the ACK with cseq arrives or 64*T1 pass.
func (c *Call) awaitAck(res *sip.Response, cseq uint32, initial bool) {
	c.stopAnswer()
	c.loop.answer = &pendingAnswer{
		res:      res,
		cseq:     cseq,
		initial:  initial,
		interval: c.srv.t1,
		deadline: time.Now().Add(64 * c.srv.t1),
		timer:    time.NewTimer(c.srv.t1),
	}
}

func (c *Call) stopAnswer() {
	if a := c.loop.answer; a != nil {
		a.timer.Stop()
		c.loop.answer = nil
	}
}

func (c *Call) retransmitC() <-chan time.Time {
	if c.loop.answer == nil {
		return nil
	}
	return c.loop.answer.timer.C
}

// retransmit resends the pending 2xx with the interval doubling up to T2,
// and gives up with a BYE after 64*T1 (RFC 3261 section 13.3.1.4).
func (c *Call) retransmit() {
	a := c.loop.answer
	if time.Now().After(a.deadline) {
		c.log.Warn("no ack for 2xx, hanging up", "cseq", a.cseq)
		c.stopAnswer()
		reason := c.loop.afterAck
		if reason == "" {
			reason = "no ack"
		}
		c.end(reason, true)
		return
	}
	if err := c.srv.sip.TransportLayer().WriteMsg(a.res); err != nil {
		c.log.Debug("2xx retransmission failed", "err", err)
	}
	a.interval = min(2*a.interval, c.srv.t2)
	a.timer.Reset(a.interval)
}

// onAck stops the retransmission of its 2xx; after a delayed offer it
// carries the answer that starts the media (RFC 3261 section 13.2.1).
func (c *Call) onAck(req *sip.Request) {
	c.do(func() {
		a := c.loop.answer
		if a == nil || req.CSeq().SeqNo != a.cseq {
			return
		}
		c.stopAnswer()
		if a.initial && c.loop.afterAck != "" {
			c.end(c.loop.afterAck, true)
			return
		}
		if a.initial && c.stream == nil {
			if err := c.acceptAnswer(req.Body()); err != nil {
				c.log.Warn("answer in ack refused, hanging up", "err", err)
				c.end("bad answer", true)
			}
		}
	})
}

// sendBye ends the dialog from our side (RFC 3261 section 15.1.1).
func (c *Call) sendBye() {
	ctx, cancel := context.WithTimeout(c.srv.ctx, byeTimeout)
	defer cancel()
	res, err := c.request(ctx, sip.NewRequest(sip.BYE, c.loop.target))
	switch {
	case err != nil:
		c.log.Debug("bye not answered", "err", err)
	case res.StatusCode >= 300:
		c.log.Debug("bye refused", "status", res.StatusCode)
	}
}

// request sends req within the dialog and waits for its final response.
func (c *Call) request(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	req.AppendHeader(sip.NewHeader("User-Agent", c.srv.cfg.UserAgent))
	tx, err := c.dialog.TransactionRequest(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Method, err)
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			return res, nil
		case <-tx.Done():
			return nil, fmt.Errorf("%s: %w", req.Method, tx.Err())
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: %w", req.Method, ctx.Err())
		}
	}
}
