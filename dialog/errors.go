package dialog

import (
	"errors"
	"fmt"
)

// ErrNoUserMessage is returned by Reply when the request's last message is
// not the user's (or there are no messages).
var ErrNoUserMessage = errors.New("the last message must be the user's")

// ErrEmptyMessage is returned by Reply when the last user message is blank.
var ErrEmptyMessage = errors.New("the last user message is empty")

// ErrInvalidRole is returned by Reply for a message whose role is not
// "user", "assistant" or "system".
var ErrInvalidRole = errors.New("message role must be user, assistant or system")

// ErrNoTenant is returned by Reply when the request names no tenant.
var ErrNoTenant = errors.New("request has no tenant")

// ErrNoStore is returned by New when the configuration has no store.
var ErrNoStore = errors.New("dialog engine needs a store")

// ErrNoLLM is returned by Situate when no (local) small LLM is configured.
var ErrNoLLM = errors.New("no small llm configured")

// ErrNotRecorded is returned by Reply, wrapping the store's error, when the
// answer was produced (and streamed) but the turn could not be stored. The
// Result returned with it is complete.
var ErrNotRecorded = errors.New("turn not recorded")

// ErrFirstTokenTimeout is the cause inside an LLMError when a model did not
// start answering within its FirstTokenTimeout.
var ErrFirstTokenTimeout = errors.New("first token timeout")

// ErrLLMTimeout is the cause inside an LLMError when a model request took
// longer than its Timeout.
var ErrLLMTimeout = errors.New("llm request timeout")

// errEmptyAnswer is the cause when a model finished without any text.
var errEmptyAnswer = errors.New("model finished without an answer")

// errStreamEnded is the cause when a stream ended without a finish reason.
var errStreamEnded = errors.New("stream ended before a finish reason")

// LLMError is a failed request to a language model endpoint. Status is the
// HTTP status (or the status code an in-stream error carried), 0 for
// transport failures and timeouts; Message keeps the upstream's own words.
type LLMError struct {
	// Status is the HTTP status, 0 when there was none.
	Status int
	// Message is the upstream error message, or a description of the
	// transport failure.
	Message string
	// Endpoint is the configured name of the endpoint ("llm", "small_llm").
	Endpoint string
	// Err is the underlying cause, when there is one.
	Err error

	kind string // metric label, see classify
}

// Error describes the failure with its endpoint and status.
func (e *LLMError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("llm %s: status %d: %s", e.Endpoint, e.Status, e.Message)
	}
	return fmt.Sprintf("llm %s: %s", e.Endpoint, e.Message)
}

// Unwrap returns the underlying cause.
func (e *LLMError) Unwrap() error { return e.Err }

// Retryable reports whether trying the same endpoint once more may help:
// refused connections and 5xx answers are retried, authentication errors
// and timeouts are not.
func (e *LLMError) Retryable() bool {
	return e.kind == kindConnect || e.kind == kindServer
}

// ErrVoiceConfig is returned by NewVoice for a VoiceConfig that lacks a
// required part; the message names it.
var ErrVoiceConfig = errors.New("voice config incomplete")

// ErrVoiceRunning is returned by Run when the Voice runs already or ran.
var ErrVoiceRunning = errors.New("voice controller runs only once")
