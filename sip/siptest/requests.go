package siptest

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// SendInfoDTMF sends digit in an INFO, as application/dtmf-relay
// ("Signal=5") when relay is set, else as application/dtmf.
func (c *Call) SendInfoDTMF(ctx context.Context, digit rune, relay bool) (*sip.Response, error) {
	req := sip.NewRequest(sip.INFO, c.target())
	if relay {
		req.SetBody([]byte(fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", digit)))
		req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	} else {
		req.SetBody([]byte(string(digit)))
		req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf"))
	}
	return c.dialog.Do(ctx, req)
}

// Reinvite sends a re-INVITE whose offer has direction dir ("sendonly"
// holds the call, "sendrecv" resumes it), acknowledges a 2xx and returns
// the final response.
func (c *Call) Reinvite(ctx context.Context, dir string) (*sip.Response, error) {
	req := sip.NewRequest(sip.INVITE, c.target())
	req.SetBody(c.sdp(dir, 2))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	return c.reinvite(ctx, req)
}

// ReinviteWith sends a re-INVITE with the given SDP body.
func (c *Call) ReinviteWith(ctx context.Context, body []byte) (*sip.Response, error) {
	req := sip.NewRequest(sip.INVITE, c.target())
	req.SetBody(body)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	return c.reinvite(ctx, req)
}

func (c *Call) reinvite(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	tx, err := c.dialog.TransactionRequest(ctx, req)
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			if res.IsSuccess() {
				ack := sip.NewRequest(sip.ACK, c.target())
				ack.AppendHeader(&sip.CSeqHeader{SeqNo: req.CSeq().SeqNo, MethodName: sip.ACK})
				if err := c.dialog.WriteRequest(ack); err != nil {
					return res, fmt.Errorf("ack: %w", err)
				}
			}
			return res, nil
		case <-tx.Done():
			return nil, tx.Err()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// target is the server's Contact from its 2xx.
func (c *Call) target() sip.Uri {
	if h := c.dialog.InviteResponse.Contact(); h != nil {
		return h.Address
	}
	return c.dialog.InviteRequest.Recipient
}

// notifyRefer reports a transfer's outcome in a NOTIFY (RFC 3515 section
// 2.4.5).
func (c *Call) notifyRefer(status int) {
	req := sip.NewRequest(sip.NOTIFY, c.target())
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	req.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason=noresource"))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	reason := "OK"
	if status >= 300 {
		reason = "Failed"
	}
	req.SetBody([]byte(fmt.Sprintf("SIP/2.0 %d %s\r\n", status, reason)))
	ctx, cancel := context.WithTimeout(context.Background(), 5e9)
	defer cancel()
	c.dialog.Do(ctx, req)
}
