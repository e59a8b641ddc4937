package asr

import (
	"errors"
	"fmt"
	"net/http"
	"syscall"
)

// ErrBadConfig is returned by constructors for an invalid configuration.
var ErrBadConfig = errors.New("invalid asr configuration")

// ErrClosed is returned by a session used after Close, and by a Finish
// that Close interrupted.
var ErrClosed = errors.New("asr session closed")

// ErrFinished is returned by Write or Finish after Finish was called.
var ErrFinished = errors.New("asr session already finished")

// ErrAudioTooLong is returned by Write when the utterance would exceed the
// backend's limit on buffered audio.
var ErrAudioTooLong = errors.New("utterance too long")

// ErrUnauthorized matches, through errors.Is, an UpstreamError whose server
// rejected the credentials (HTTP 401 or 403).
var ErrUnauthorized = errors.New("asr server rejected the credentials")

// ErrBadResponse is the cause inside an UpstreamError when a server answered
// with something its protocol does not allow: malformed JSON, a reply over
// the size limit, a reply without a transcript.
var ErrBadResponse = errors.New("malformed asr server response")

// ErrTimeout is the cause inside an UpstreamError when a server did not
// answer within the backend's own time limit (not the caller's context).
var ErrTimeout = errors.New("asr server timeout")

// ErrDisconnected is the cause inside an UpstreamError when a connection or
// stream ended before the final transcript.
var ErrDisconnected = errors.New("asr stream ended before the transcript")

// ErrNoBackend is returned by Chain.Start when every recognizer failed or
// was skipped by its circuit breaker.
var ErrNoBackend = errors.New("no asr backend available")

// UpstreamError is a failure of a recognition server or of the way to it.
// It keeps the server's own message and says whether trying again may
// help; errors.Is(err, ErrUnauthorized) picks out rejected credentials.
type UpstreamError struct {
	// Backend names the backend, as Result.Backend does.
	Backend string
	// Status is the HTTP status of the reply, or of the refused WebSocket
	// handshake, or the status an in-stream error carried; 0 when none.
	Status int
	// Code is the server's error code or type ("invalid_audio",
	// "BadRequestError"), when it sent one.
	Code string
	// Message is the server's message, or a description of the transport
	// failure.
	Message string
	// Err is the underlying cause, when there is one.
	Err error
}

// Error describes the failure with its backend, status and code.
func (e *UpstreamError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	head := "asr " + e.Backend
	if e.Status != 0 {
		head += fmt.Sprintf(": status %d", e.Status)
	}
	if e.Code != "" {
		head += " (" + e.Code + ")"
	}
	return head + ": " + msg
}

// Unwrap returns the underlying cause.
func (e *UpstreamError) Unwrap() error { return e.Err }

// Is reports whether target is ErrUnauthorized and the server answered 401
// or 403.
func (e *UpstreamError) Is(target error) bool {
	return target == ErrUnauthorized &&
		(e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden)
}

// Retryable reports whether the same request may succeed if repeated at
// once: the server failed on its side (5xx) or the connection was refused
// or reset. Other 4xx answers reject the request itself, and a timeout
// would only double the caller's wait.
func (e *UpstreamError) Retryable() bool {
	if e.Status >= 500 {
		return true
	}
	if e.Status != 0 {
		return false
	}
	return errors.Is(e.Err, syscall.ECONNREFUSED) || errors.Is(e.Err, syscall.ECONNRESET)
}
