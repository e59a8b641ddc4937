package sip

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Transfer hands the caller to target with a blind transfer (RFC 3515):
// a REFER with Refer-To and Referred-By, then the NOTIFYs that report the
// transfer's progress as message/sipfrag (section 2.4.5). When one says
// 2xx the call ends with our BYE and Transfer returns nil. A refused REFER
// or a failed transfer returns an error wrapping ErrTransferFailed and the
// call goes on. target is a SIP or tel URI, or a bare number, which is
// sent to the caller's host.
func (c *Call) Transfer(ctx context.Context, target string) error {
	statuses := make(chan int, 4)
	var refer *sip.Request
	var err error
	ok := c.do(func() {
		if c.loop.transfer != nil {
			err = fmt.Errorf("%w: a transfer is already running", ErrTransferFailed)
			return
		}
		refer, err = c.buildRefer(target)
		if err == nil {
			c.loop.transfer = statuses
		}
	})
	switch {
	case !ok:
		return ErrCallEnded
	case err != nil:
		return err
	}
	defer c.do(func() { c.loop.transfer = nil })

	res, err := c.request(ctx, refer)
	if err != nil {
		return fmt.Errorf("transfer: %w", err)
	}
	if res.StatusCode != 202 && res.StatusCode != 200 {
		return fmt.Errorf("%w: refer answered %d", ErrTransferFailed, res.StatusCode)
	}
	c.log.Info("call transfer accepted", "target", target)
	return c.awaitTransfer(ctx, statuses)
}

// awaitTransfer waits for the NOTIFY with a final status.
func (c *Call) awaitTransfer(ctx context.Context, statuses <-chan int) error {
	for {
		select {
		case code := <-statuses:
			if code < 200 {
				continue
			}
			if code >= 300 {
				return fmt.Errorf("%w: transfer target answered %d", ErrTransferFailed, code)
			}
			if err := c.Hangup(ctx); err != nil && !errors.Is(err, ErrCallEnded) {
				return fmt.Errorf("hang up after transfer: %w", err)
			}
			return nil
		case <-c.done:
			return ErrCallEnded
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// buildRefer is the REFER of a blind transfer to target.
func (c *Call) buildRefer(target string) (*sip.Request, error) {
	uri, err := referTarget(target, c.loop.target.Host)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTransferFailed, err)
	}
	refer := sip.NewRequest(sip.REFER, c.loop.target)
	refer.AppendHeader(sip.NewHeader("Refer-To", "<"+uri+">"))
	self := c.dialog.InviteRequest.To().Address
	refer.AppendHeader(sip.NewHeader("Referred-By", "<"+self.String()+">"))
	return refer, nil
}

// referTarget makes target a URI for Refer-To.
func referTarget(target, host string) (string, error) {
	target = strings.TrimSpace(target)
	lower := strings.ToLower(target)
	if strings.HasPrefix(lower, "sip:") || strings.HasPrefix(lower, "sips:") ||
		strings.HasPrefix(lower, "tel:") {
		var u sip.Uri
		if err := sip.ParseUri(target, &u); err != nil {
			return "", fmt.Errorf("target %q: %v", target, err)
		}
		return target, nil
	}
	if target == "" || strings.ContainsAny(target, "<>@; \t\r\n\"") {
		return "", fmt.Errorf("target %q is not a number or uri", target)
	}
	return "sip:" + target + "@" + host, nil
}

// parseSipfrag reads the status code of a message/sipfrag body's status
// line (RFC 3420), such as "SIP/2.0 200 OK".
func parseSipfrag(body []byte) (int, error) {
	line, _ := bufio.NewReader(bytes.NewReader(body)).ReadString('\n')
	fields := strings.Fields(line)
	if len(fields) < 2 || !strings.HasPrefix(fields[0], "SIP/") {
		return 0, fmt.Errorf("sipfrag %q has no status line", strings.TrimSpace(line))
	}
	code, err := strconv.Atoi(fields[1])
	if err != nil || code < 100 || code > 699 {
		return 0, fmt.Errorf("sipfrag status %q", fields[1])
	}
	return code, nil
}
