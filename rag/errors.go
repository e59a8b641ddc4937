package rag

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupportedType is returned for a file whose extension no parser
// handles.
var ErrUnsupportedType = errors.New("unsupported file type")

// ErrBinary is returned for input that is not text: it holds NUL bytes or
// is mostly invalid UTF-8.
var ErrBinary = errors.New("binary content")

// ErrNoText is returned when a document has structure but no extractable
// text, such as a scanned PDF without a text layer.
var ErrNoText = errors.New("no extractable text")

// ErrEmpty is returned for an empty or whitespace-only document.
var ErrEmpty = errors.New("empty document")

// ErrNoStore is returned when a configuration lacks its Store.
var ErrNoStore = errors.New("no store configured")

// ErrBadConfig is returned for an invalid client configuration.
var ErrBadConfig = errors.New("invalid configuration")

// ErrClosed is returned by a client used after Close.
var ErrClosed = errors.New("client closed")

// ErrBadResponse is returned when an upstream server answers 2xx with a
// body that does not follow its protocol.
var ErrBadResponse = errors.New("malformed upstream response")

// UpstreamError is a non-2xx answer of an embeddings or rerank server. It
// carries the HTTP status and, when the body was one of the known error
// shapes (protocols.md 3a, 3b), the server's error type and message.
type UpstreamError struct {
	Status int
	// Type is the server's error type as sent ("Validation", "validation",
	// "BadRequestError"); its case varies between servers, so compare it
	// with IsType.
	Type    string
	Message string
}

// Error describes the failure.
func (e *UpstreamError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	if e.Type != "" {
		return fmt.Sprintf("upstream status %d (%s): %s", e.Status, e.Type, msg)
	}
	return fmt.Sprintf("upstream status %d: %s", e.Status, msg)
}

// IsType reports whether the server's error type is t, ignoring case.
func (e *UpstreamError) IsType(t string) bool { return strings.EqualFold(e.Type, t) }

// Retryable reports whether the same request may succeed later: the server
// was overloaded (429) or failed on its side (5xx). Other 4xx answers
// reject the request itself and are never retried.
func (e *UpstreamError) Retryable() bool {
	return e.Status == 429 || e.Status >= 500
}
