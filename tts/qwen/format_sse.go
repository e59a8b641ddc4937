package qwen

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Event types of an SSE speech reply (protocols.md 2a).
const (
	eventDelta = "speech.audio.delta"
	eventDone  = "speech.audio.done"
	eventError = "speech.audio.error"
)

// maxSnippet bounds the bytes of a malformed event quoted in an error.
const maxSnippet = 80

// sseReader yields the PCM bytes carried by the speech.audio.delta events
// of a server-sent event stream, and ends with io.EOF at
// speech.audio.done. Parsing follows the HTML standard's event stream
// format (WHATWG HTML, section 9.2.6): "field: value" lines, data lines
// joined by newlines, a blank line ending an event, comment lines
// starting with a colon. Unknown event types are skipped.
type sseReader struct {
	br      *bufio.Reader
	max     int64  // the longest line accepted
	line    []byte // the line being read
	data    []byte // data lines of the event being read
	name    string // its event field
	pending []byte // audio bytes not yet returned
	err     error  // what Read returns once pending is spent
}

func newSSEReader(r io.Reader, max int64) *sseReader {
	return &sseReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Read returns audio bytes, reading events until some come.
func (r *sseReader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.err = r.event()
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// event reads lines up to the end of one event and handles it.
func (r *sseReader) event() error {
	r.data, r.name = r.data[:0], ""
	hasData := false
	for {
		line, err := r.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) {
				// An event without its blank line is incomplete and
				// dropped, as the standard says.
				return fmt.Errorf("%w: event stream ended without %s", ErrInterrupted, eventDone)
			}
			return err
		}
		if len(line) == 0 {
			if !hasData {
				r.name = ""
				continue
			}
			return r.dispatch()
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "":
			// A comment, such as a keep-alive.
		case "data":
			if hasData {
				r.data = append(r.data, '\n')
			}
			r.data, hasData = append(r.data, value...), true
		case "event":
			r.name = string(value)
		}
	}
}

// readLine returns the next line without its ending (LF or CRLF).
func (r *sseReader) readLine() ([]byte, error) {
	r.line = r.line[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.line = append(r.line, chunk...)
		if int64(len(r.line)) > r.max {
			return nil, fmt.Errorf("%w: event line over %d bytes", ErrReplyTooLarge, r.max)
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(r.line[:len(r.line)-1], []byte("\r")), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			// io.EOF included: a last line without its newline belongs
			// to an event cut short.
			return nil, err
		}
	}
}

// sseEvent is the JSON of an event. Error is an object in vLLM-Omni's
// speech.audio.error but may be a bare string elsewhere.
type sseEvent struct {
	Type  string          `json:"type"`
	Audio string          `json:"audio"`
	Error json.RawMessage `json:"error"`
}

// dispatch handles one complete event: audio is queued, the end of the
// speech is io.EOF, an error event is an *UpstreamError.
func (r *sseReader) dispatch() error {
	if string(r.data) == "[DONE]" {
		return io.EOF
	}
	var ev sseEvent
	if err := json.Unmarshal(r.data, &ev); err != nil {
		return fmt.Errorf("%w: event %q: %w", ErrBadResponse, snippet(r.data), err)
	}
	if ev.Type == "" {
		ev.Type = r.name
	}

	switch {
	case ev.Type == eventDelta:
		audio, err := decodeBase64(ev.Audio)
		if err != nil {
			return fmt.Errorf("%w: audio of %s: %w", ErrBadResponse, eventDelta, err)
		}
		r.pending = audio
		return nil
	case ev.Type == eventDone:
		return io.EOF
	case ev.Type == eventError || (ev.Type == "" && len(ev.Error) > 0):
		return streamError(ev.Error)
	}
	return nil
}

// streamError turns the error of an event into an *UpstreamError.
func streamError(raw json.RawMessage) error {
	var obj errorObject
	var text string
	switch {
	case json.Unmarshal(raw, &obj) == nil && obj.Message != "":
		return obj.upstreamError(0)
	case json.Unmarshal(raw, &text) == nil && text != "":
		return &UpstreamError{Message: text}
	}
	return &UpstreamError{Message: string(snippet(raw))}
}

// decodeBase64 decodes standard base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	return b, err
}

func snippet(b []byte) []byte {
	if len(b) > maxSnippet {
		return b[:maxSnippet]
	}
	return b
}
