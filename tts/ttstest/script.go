package ttstest

import (
	"time"
	"unicode/utf8"
)

// Rate is the sample rate of the fake's speech, Qwen3-TTS's.
const Rate = 24000

// Format is how the server sends audio over REST.
type Format int

// Formats of a REST reply.
const (
	// Auto answers as a current vLLM-Omni does: raw PCM for a stream with
	// stream_format "audio", SSE for a stream without it, WAVFile
	// otherwise.
	Auto Format = iota
	// PCM streams raw s16le as audio/pcm, as older servers do for any
	// stream.
	PCM
	// SSE streams text/event-stream events of base64 PCM.
	SSE
	// WAV streams one WAV header whose data size is unknown (0xFFFFFFFF),
	// then raw PCM.
	WAV
	// WAVChunks streams every chunk as a WAV file of its own, as
	// mlx-audio encodes each chunk separately.
	WAVChunks
	// WAVFile sends one WAV file with its sizes and a Content-Length, as
	// a server that does not stream does.
	WAVFile
)

// Script says how the server answers one request. The zero Script speaks
// SpeechFor(input) the way Auto says.
type Script struct {
	// Format is the reply's format; ContentType, when set, replaces its
	// Content-Type header.
	Format      Format
	ContentType string
	// PCM is the audio sent instead of SpeechFor(input).
	PCM []int16
	// SampleRate is the rate in WAV headers and WebSocket audio.start
	// messages; zero means Rate. Raw PCM and SSE do not say their rate.
	SampleRate int
	// ChunkBytes is how many bytes of PCM each chunk, SSE event or binary
	// frame carries; zero means 960 (20 ms). Odd values split samples
	// between chunks.
	ChunkBytes int
	// ChunkDelay waits between chunks.
	ChunkDelay time.Duration
	// FirstByteDelay waits after the response headers before the first
	// chunk; with Status, before the error answer; on the WebSocket,
	// before the handshake answer.
	FirstByteDelay time.Duration

	// Status, when set, answers with this HTTP status and vLLM's error
	// body: {"error":{"message","type","param","code"}}. On the
	// WebSocket it refuses the handshake.
	Status       int
	ErrorMessage string
	ErrorType    string
	ErrorParam   string

	// DisconnectAfter, when not zero, cuts the connection after that
	// many chunks (-1: before the first), without ending the reply
	// properly. On the WebSocket it counts binary frames.
	DisconnectAfter int
	// ErrorAfter, when not zero, sends an error instead of the rest of
	// the audio after that many chunks (-1: before the first): a
	// speech.audio.error event over SSE, an error message on the
	// WebSocket. ErrorMessage is its message.
	ErrorAfter int
	// OmitDone leaves out speech.audio.done at the end of an SSE reply.
	OmitDone bool
	// RawEvents are SSE data payloads sent after the audio events, before
	// speech.audio.done: malformed JSON, a delta with bad base64, an
	// unknown event type.
	RawEvents []string
	// Noise interleaves the SSE events with keep-alive comments, an
	// unknown event type and a retry field, and ends lines with CRLF.
	Noise bool
}

// Reply returns a Script that speaks pcm in the given format.
func Reply(format Format, pcm []int16) Script { return Script{Format: format, PCM: pcm} }

// Fail returns a Script answering with an HTTP error status.
func Fail(status int, message string) Script {
	return Script{Status: status, ErrorMessage: message}
}

// Samples returns n samples of a deterministic signal that covers the
// whole int16 range, so that a misplaced byte shows.
func Samples(n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(uint16(i*7919 + 13))
	}
	return out
}

// SpeechFor returns what the server speaks for text: 10 ms at Rate per
// character.
func SpeechFor(text string) []int16 {
	return Samples(utf8.RuneCountInString(text) * Rate / 100)
}

func (s Script) chunkBytes() int {
	if s.ChunkBytes > 0 {
		return s.ChunkBytes
	}
	return 960
}

func (s Script) rate() int {
	if s.SampleRate > 0 {
		return s.SampleRate
	}
	return Rate
}
