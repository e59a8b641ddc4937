package tts

import "context"

// Synthesizer turns text into speech.
type Synthesizer interface {
	// Synthesize starts speaking req and returns the audio as it comes:
	// a streaming backend returns once the first audio is on its way, a
	// batch backend once it has all of it. ctx bounds the whole synthesis,
	// reads of the Stream included; cancelling it ends the Stream.
	Synthesize(ctx context.Context, req Request) (Stream, error)
}

// Request is one text to speak, usually one sentence of an answer.
type Request struct {
	// Text is what to say. Backends refuse empty text with ErrEmptyText.
	Text string
	// Voice names one of the backend's voices; empty means its default.
	Voice string
	// Language is a BCP 47 tag such as "en" or "de-DE"; empty means the
	// backend's default.
	Language string
}

// Stream yields mono PCM16 at SampleRate(); Read follows io.Reader
// conventions (io.EOF at the end).
type Stream interface {
	// SampleRate is the rate of every sample Read returns. It is known
	// when Synthesize returns and never changes; callers resample to the
	// rate they need.
	SampleRate() int
	// Read fills pcm with the next samples and returns how many. It
	// returns io.EOF, possibly with the last samples, when the speech
	// ends, and may block while a streaming backend produces more.
	Read(pcm []int16) (int, error)
	// Close releases the stream and stops a synthesis still running. It
	// is safe to call more than once.
	Close() error
}
