package qwen

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/voiced/voiced/tts"
)

// Sentinel errors, returned wrapped.
var (
	// ErrBadConfig means New was given a configuration it cannot use.
	ErrBadConfig = errors.New("qwen: bad config")
	// ErrUnauthorized is what an UpstreamError for 401 or 403 unwraps to:
	// the API key is missing or wrong. It is never retried.
	ErrUnauthorized = errors.New("qwen: unauthorized")
	// ErrFirstByteTimeout means no audio arrived within FirstByteTimeout
	// of sending the request.
	ErrFirstByteTimeout = errors.New("qwen: no audio before the first-byte timeout")
	// ErrTimeout means a synthesis took longer than Timeout.
	ErrTimeout = errors.New("qwen: synthesis timeout")
	// ErrInterrupted means the reply broke off before the server said it
	// was complete: the connection dropped, or an event stream ended
	// without its closing event. Read returns it after the audio that
	// did arrive, so that speech is never cut short silently.
	ErrInterrupted = errors.New("qwen: reply interrupted")
	// ErrBadResponse means the server answered something this client
	// cannot read: another audio format than PCM or WAV, malformed
	// events or base64, a WAV header that changes the sample rate.
	ErrBadResponse = errors.New("qwen: bad response")
	// ErrReplyTooLarge means a reply exceeded MaxReplyBytes.
	ErrReplyTooLarge = errors.New("qwen: reply too large")
)

// maxErrorDetail bounds the upstream message kept in an UpstreamError.
const maxErrorDetail = 300

// UpstreamError is a failure the server reported: a non-2xx answer (Status
// is its HTTP status), a speech.audio.error event in an SSE reply, or an
// error message on the WebSocket (Status is 0 for both). Message keeps
// the server's own words.
type UpstreamError struct {
	// Status is the HTTP status, 0 for an error inside a stream.
	Status int
	// Type is the server's error type ("BadRequestError"), when it sent
	// one.
	Type string
	// Param names the request field at fault, when the server said.
	Param string
	// Code is the error code as sent (vLLM repeats the status there).
	Code string
	// Message is the server's message, or its reply body when that was
	// not an error object.
	Message string
}

// Error describes the failure.
func (e *UpstreamError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	where := "upstream error"
	if e.Status != 0 {
		where = fmt.Sprintf("upstream status %d", e.Status)
	}
	if e.Type != "" {
		return fmt.Sprintf("qwen: %s (%s): %s", where, e.Type, msg)
	}
	return fmt.Sprintf("qwen: %s: %s", where, msg)
}

// Unwrap lets errors.Is see what kind of failure this is: ErrUnauthorized
// for 401 and 403, tts.ErrUnknownVoice when the server blamed the voice
// field.
func (e *UpstreamError) Unwrap() error {
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return ErrUnauthorized
	case e.Param == "voice":
		return tts.ErrUnknownVoice
	}
	return nil
}

// Retryable reports whether the same request may succeed if sent again:
// the server was overloaded (429) or failed on its side (5xx). Other
// answers reject the request itself.
func (e *UpstreamError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// errorObject is the OpenAI-style error vLLM sends, nested under "error"
// in a reply body or a speech.audio.error event. Code is a number in
// vLLM's replies but a string elsewhere, so it is kept raw.
type errorObject struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Param   json.RawMessage `json:"param"`
	Code    json.RawMessage `json:"code"`
}

// upstreamError turns an error object into an UpstreamError.
func (o errorObject) upstreamError(status int) *UpstreamError {
	e := &UpstreamError{Status: status, Type: o.Type, Message: o.Message}
	_ = json.Unmarshal(o.Param, &e.Param)
	if len(o.Code) > 0 && string(o.Code) != "null" {
		e.Code = strings.Trim(string(o.Code), `"`)
	}
	return e
}

// parseUpstreamError reads the body of a non-2xx answer: vLLM's
// {"error":{"message","type","param","code"}}, the flat form
// {"message","type"} of older servers, FastAPI's {"detail":...}, or
// anything else, kept as text.
func parseUpstreamError(status int, body []byte) *UpstreamError {
	var e *UpstreamError
	var reply struct {
		Error   json.RawMessage `json:"error"`
		Detail  json.RawMessage `json:"detail"`
		Message string          `json:"message"`
		Type    string          `json:"type"`
	}
	if json.Unmarshal(body, &reply) == nil {
		var nested errorObject
		var flat string
		switch {
		case json.Unmarshal(reply.Error, &nested) == nil && nested.Message != "":
			e = nested.upstreamError(status)
		case json.Unmarshal(reply.Error, &flat) == nil:
			e = &UpstreamError{Status: status, Message: flat}
		case json.Unmarshal(reply.Detail, &flat) == nil:
			e = &UpstreamError{Status: status, Message: flat}
		case reply.Detail != nil:
			e = &UpstreamError{Status: status, Message: string(reply.Detail)}
		case reply.Message != "":
			e = &UpstreamError{Status: status, Type: reply.Type, Message: reply.Message}
		}
	}
	if e == nil {
		e = &UpstreamError{Status: status}
	}
	if e.Message == "" {
		e.Message = strings.Join(strings.Fields(string(body)), " ")
	}
	if len(e.Message) > maxErrorDetail {
		e.Message = e.Message[:maxErrorDetail] + "..."
	}
	return e
}
