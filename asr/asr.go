package asr

import (
	"context"
	"time"
)

// SampleRate is the rate of all audio given to a recognizer.
const SampleRate = 16000

// Recognizer opens one recognition session per utterance. Implementations
// are safe for concurrent use by many calls.
type Recognizer interface {
	// Start opens a session for one utterance. Remote backends connect here,
	// at speech start, so that only the tail of the audio remains to be
	// decoded when the caller stops speaking.
	Start(ctx context.Context, opts Options) (Session, error)
}

// Options tune one utterance's recognition.
type Options struct {
	// Language is an ISO 639-1 code ("en"); empty lets the model detect it.
	Language string
	// Prompt is context for the model, such as the agent's last question.
	Prompt string
	// Hotwords are terms from the tenant's knowledge base the recognizer
	// should favour, where the backend supports it.
	Hotwords []string
	// OnPartial, when set, receives the transcript so far each time it
	// grows. It is called from the session's goroutine and must not block.
	OnPartial func(text string)
}

// Session is one utterance being recognized. Write and Finish are called
// from one goroutine; Close may be called from any.
type Session interface {
	// Write appends audio. It does not block on the network: a backend
	// buffers what it cannot send yet.
	Write(pcm []int16) error
	// Finish marks the end of the utterance and waits for the final
	// transcript.
	Finish(ctx context.Context) (Result, error)
	// Close abandons the session and releases its connection; it is
	// idempotent and safe after Finish.
	Close() error
}

// Result is the transcript of one utterance.
type Result struct {
	// Text is the transcript with any model prefix removed; empty when
	// nothing was said.
	Text string
	// Language is the language the model reported, when it reports one.
	Language string
	// Audio is how much audio was recognized.
	Audio time.Duration
	// Backend names what produced the text, for latency accounting when a
	// fallback answered.
	Backend string
}
