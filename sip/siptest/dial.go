package siptest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// DialOptions describe one call attempt.
type DialOptions struct {
	// User is the number called: the Request-URI's and To's user.
	User string
	// Username and Password answer a digest challenge; Algorithm picks
	// "MD5" or "SHA-256" among the challenges (the first one by default).
	Username, Password, Algorithm string
	// SRTP offers RTP/SAVP with an SDES key.
	SRTP bool
	// Offer replaces the generated SDP offer; NoOffer sends none.
	Offer   []byte
	NoOffer bool
	// Headers are added to the INVITE.
	Headers []sip.Header
	// NoAck leaves the 2xx unacknowledged, as if the ACK were lost.
	NoAck bool
}

// Dial calls user at target and waits for the final response. On a 2xx
// it acknowledges it and returns the established call; otherwise it
// returns a *ResponseError (a cancelled ctx sends CANCEL and yields the
// 487).
func (p *Phone) Dial(ctx context.Context, target netip.AddrPort, opts DialOptions) (*Call, error) {
	c, err := p.newCall(opts.SRTP)
	if err != nil {
		return nil, err
	}
	offer := opts.Offer
	if offer == nil && !opts.NoOffer {
		offer = c.offer()
	}
	req := sip.NewRequest(sip.INVITE, p.uri(opts.User, target))
	req.SetTransport(strings.ToUpper(p.cfg.Transport))
	if offer != nil {
		req.SetBody(offer)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	for _, h := range opts.Headers {
		req.AppendHeader(h)
	}
	d, err := p.invite(ctx, req, opts)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.dialog = d
	c.noAck = opts.NoAck
	if err := c.establish(ctx, offer == nil); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// invite sends req and answers one digest challenge.
func (p *Phone) invite(ctx context.Context, req *sip.Request,
	opts DialOptions) (*sipgo.DialogClientSession, error) {
	d, err := p.dua.WriteInvite(ctx, req)
	if err != nil {
		return nil, err
	}
	err = d.WaitAnswer(ctx, sipgo.AnswerOptions{})
	res := d.InviteResponse
	if err == nil {
		return d, nil
	}
	if res == nil || res.IsProvisional() {
		return nil, err
	}
	if res.StatusCode != 401 || opts.Password == "" {
		return nil, &ResponseError{Response: res}
	}
	auth, err := authorization(res, req, opts)
	if err != nil {
		return nil, err
	}
	again := req.Clone()
	again.RemoveHeader("Via")
	again.RemoveHeader("Authorization")
	again.AppendHeader(sip.NewHeader("Authorization", auth))
	again.CSeq().SeqNo++
	d, err = p.dua.WriteInvite(ctx, again)
	if err != nil {
		return nil, err
	}
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		if d.InviteResponse != nil && !d.InviteResponse.IsProvisional() {
			return nil, &ResponseError{Response: d.InviteResponse}
		}
		return nil, err
	}
	return d, nil
}

// authorization answers the challenge of res with the wanted algorithm.
func authorization(res *sip.Response, req *sip.Request, opts DialOptions) (string, error) {
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil {
			return "", err
		}
		if opts.Algorithm != "" && !strings.EqualFold(chal.Algorithm, opts.Algorithm) {
			continue
		}
		cred, err := digest.Digest(chal, digest.Options{Method: "INVITE",
			URI: req.Recipient.Addr(), Username: opts.Username, Password: opts.Password})
		if err != nil {
			return "", err
		}
		return cred.String(), nil
	}
	return "", errors.New("no usable challenge")
}

// establish acknowledges the 2xx and starts the media of the answer; a
// 2xx to an INVITE without offer carries the offer, answered in the ACK.
func (c *Call) establish(ctx context.Context, delayed bool) error {
	if err := c.ack(ctx, delayed); err != nil {
		return fmt.Errorf("ack: %w", err)
	}
	c.phone.mu.Lock()
	c.phone.calls[c.dialog.InviteRequest.CallID().Value()] = c
	c.phone.mu.Unlock()
	if err := c.applyAnswer(c.dialog.InviteResponse.Body()); err != nil {
		return err
	}
	c.wg.Go(c.receive)
	return nil
}

func (c *Call) ack(ctx context.Context, delayed bool) error {
	if c.noAck {
		return nil
	}
	if !delayed {
		return c.dialog.Ack(ctx)
	}
	body, err := c.answerFor(c.dialog.InviteResponse.Body())
	if err != nil {
		return err
	}
	ack := sip.NewRequest(sip.ACK, c.target())
	ack.SetBody(body)
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	return c.dialog.WriteAck(ctx, ack)
}

// newCall opens the call's RTP socket.
func (p *Phone) newCall(srtp bool) (*Call, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	c := &Call{phone: p, rtp: conn, srtp: srtp, refers: make(chan Refer, 4),
		ended: make(chan struct{}), ssrc: 0x5eed1234, dtmf: make(chan rune, 16)}
	if srtp {
		c.localKey = make([]byte, 30)
		for i := range c.localKey {
			c.localKey[i] = byte(i*7 + 3)
		}
	}
	return c, nil
}
