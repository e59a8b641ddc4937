package asrtest

import (
	"strings"
	"time"
)

// Reply formats of the REST endpoint.
const (
	// FormatJSON is {"text":...,"usage":...} (response_format=json).
	FormatJSON = "json"
	// FormatSSE is server-sent transcription.chunk events (stream=true).
	FormatSSE = "sse"
	// FormatNDJSON is one {"text":...} object per line (mlx-audio).
	FormatNDJSON = "ndjson"
	// FormatText is the bare text (response_format=text).
	FormatText = "text"
)

// SegmentAudio is how much audio the realtime fake takes to decode one of
// Script.Segments before the final commit, as vLLM decodes in 5 s
// segments.
const SegmentAudio = 5 * time.Second

// Script says how the server answers one WebSocket session or one REST
// request. The zero Script answers "Hello." in English, with the raw
// model prefix split across deltas as "language", " English", "<asr",
// "_text>"; with no audio it answers "language None<asr_text>".
type Script struct {
	// Text is the transcript, without the model prefix.
	Text string
	// Language is the language the prefix names; "English" when empty.
	Language string
	// Deltas, when set, are the raw deltas sent as they are, replacing
	// Text and Language.
	Deltas []string
	// Segments, realtime only, are transcripts of 5-second segments: each
	// is sent with its own prefix and a trailing newline, as soon as its
	// audio arrived; the rest after the final commit. They replace Text.
	Segments []string

	// Status, when set, refuses the request (or the WebSocket handshake)
	// with this HTTP status and an OpenAI-style error body carrying
	// Message.
	Status  int
	Message string
	// Delay holds back the first byte: REST response headers, or the
	// realtime session.created.
	Delay time.Duration
	// Hang never answers: no transcript after the final commit, no REST
	// reply, until the client gives up.
	Hang bool
	// Drop cuts the connection without a close after DropAfterDeltas
	// deltas (REST: the body is cut, mid-stream when streamed).
	Drop            bool
	DropAfterDeltas int
	// DropAfterAppends, realtime only, cuts the connection after that many
	// appends, while the caller still speaks.
	DropAfterAppends int
	// Stall, realtime only, stops reading the socket after the opening
	// commit, so that the client's sends back up, until the server closes.
	Stall bool
	// ErrorMessage, when set, sends an error event (realtime) or an
	// in-stream error (REST) with ErrorCode, after ErrorAfterDeltas deltas,
	// or, realtime, after ErrorAfterAppends appends when that is set.
	ErrorMessage      string
	ErrorCode         string
	ErrorAfterDeltas  int
	ErrorAfterAppends int
	// Malformed sends broken JSON in place of the first delta (REST: of
	// the reply).
	Malformed bool
	// Oversize pads the transcript message (REST: the reply) to at least
	// this many bytes.
	Oversize int
	// Format forces the REST reply format; by default it follows the
	// request: SSE for stream=true, else response_format, else JSON.
	Format string
}

// prefix is the model's raw prefix, split as a stream splits it.
func prefix(lang string) []string {
	return []string{"language", " " + lang, "<asr", "_text>"}
}

// deltas returns the raw deltas of one transcript, prefix included.
func (sc Script) deltas(samples int) []string {
	if sc.Deltas != nil {
		return sc.Deltas
	}
	if samples == 0 {
		return []string{"language None", "<asr_text>"}
	}
	text, lang := sc.Text, sc.Language
	if text == "" {
		text = "Hello."
	}
	if lang == "" {
		lang = "English"
	}
	return append(prefix(lang), words(text)...)
}

// segment returns the raw deltas of segment i.
func (sc Script) segment(i int) []string {
	lang := sc.Language
	if lang == "" {
		lang = "English"
	}
	d := append(prefix(lang), words(sc.Segments[i])...)
	return append(d, "\n")
}

// words splits text into deltas of a word each, keeping the spaces.
func words(text string) []string {
	var out []string
	for i, w := range strings.Fields(text) {
		if i > 0 {
			w = " " + w
		}
		out = append(out, w)
	}
	return out
}

// pad makes s at least n bytes long with trailing filler words.
func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" la", (n-len(s))/3+1)
}
