package sip

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrNoRoute tells the server that no tenant answers the number; a
	// Handler's Route returns it (wrapped) to reject the call with 404.
	ErrNoRoute = errors.New("sip: no route")
	// ErrInvalidConfig is wrapped by New for every configuration mistake.
	ErrInvalidConfig = errors.New("sip: invalid config")
	// ErrServerClosed is returned by the Server after Shutdown or Close.
	ErrServerClosed = errors.New("sip: server closed")
	// ErrCallEnded is returned by Call methods once the call is over.
	ErrCallEnded = errors.New("sip: call ended")
	// ErrTransferFailed is wrapped by Call.Transfer when the peer refused
	// the REFER or reported a failed transfer; the call goes on.
	ErrTransferFailed = errors.New("sip: transfer failed")
	// ErrMalformedSDP is wrapped when an SDP body cannot be parsed.
	ErrMalformedSDP = errors.New("sip: malformed sdp")
	// ErrNotAcceptable is wrapped when an SDP offer has nothing we can
	// answer.
	ErrNotAcceptable = errors.New("sip: offer not acceptable")
	// ErrRegistration is wrapped when a registrar refuses or does not
	// answer a REGISTER.
	ErrRegistration = errors.New("sip: registration failed")
)

// Causes the server decides responses by; they stay inside the package.
var (
	// errCancelled ends a setup whose INVITE was cancelled; sipgo's
	// transaction layer has already answered 487 (RFC 3261 section 9.2).
	errCancelled = errors.New("invite cancelled")
	// errDraining and errBusy are the causes of 503 responses.
	errDraining = errors.New("server is draining")
	errBusy     = errors.New("too many calls")
	// errForbiddenSource and errBadCredentials are counted as
	// authentication failures; errStaleNonce gets a challenge with
	// stale=true (RFC 7616 section 3.3).
	errForbiddenSource = errors.New("source not allowed and no credentials")
	errBadCredentials  = errors.New("credentials do not match")
	errStaleNonce      = errors.New("stale nonce")
)

// StatusError is an error that decides the SIP final response a request
// gets. It is created where the decision is made; only the server's
// request edge turns it into a response.
type StatusError struct {
	// Code is the status code, 300 to 699.
	Code int
	// Reason is the reason phrase; empty means the standard phrase.
	Reason string
	// Warning, when set, is sent as a Warning header (RFC 3261 section
	// 20.43).
	Warning *Warning
	// RetryAfter, when positive, is sent as a Retry-After header (RFC 3261
	// section 20.33).
	RetryAfter time.Duration
	// Headers are added to the response as they are (WWW-Authenticate).
	Headers []Header
	// Err is the cause.
	Err error
}

// Header is one extra response header of a StatusError.
type Header struct {
	Name, Value string
}

// Warning is a Warning header value (RFC 3261 section 20.43).
type Warning struct {
	// Code is the three digit warn-code, such as 304 or 305.
	Code int
	// Text is the warn-text.
	Text string
}

// Error describes the status and its cause.
func (e *StatusError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = statusText(e.Code)
	}
	if e.Err == nil {
		return fmt.Sprintf("sip status %d %s", e.Code, reason)
	}
	return fmt.Sprintf("sip status %d %s: %v", e.Code, reason, e.Err)
}

// Unwrap returns the cause.
func (e *StatusError) Unwrap() error { return e.Err }

// statusError is a shorthand for the common StatusError.
func statusError(code int, reason string, err error) *StatusError {
	return &StatusError{Code: code, Reason: reason, Err: err}
}

// statusText returns the reason phrase RFC 3261 section 21 gives code.
func statusText(code int) string {
	switch code {
	case 100:
		return "Trying"
	case 200:
		return "OK"
	case 202:
		return "Accepted"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 415:
		return "Unsupported Media Type"
	case 416:
		return "Unsupported URI Scheme"
	case 420:
		return "Bad Extension"
	case 481:
		return "Call/Transaction Does Not Exist"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 491:
		return "Request Pending"
	case 500:
		return "Server Internal Error"
	case 503:
		return "Service Unavailable"
	case 505:
		return "Version Not Supported"
	}
	return "Unknown"
}
