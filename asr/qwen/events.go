package qwen

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/asr/internal/wire"
)

// Event types of vLLM's realtime transcription (protocols.md 1b).
const (
	typeCreated = "session.created"
	typeUpdate  = "session.update"
	typeAppend  = "input_audio_buffer.append"
	typeCommit  = "input_audio_buffer.commit"
	typeDelta   = "transcription.delta"
	typeDone    = "transcription.done"
	typeError   = "error"
)

// The commits of 1b steps 3 and 5: the first starts decoding and must come
// before any audio, the final one ends the utterance.
var (
	commitStart = []byte(`{"type":"` + typeCommit + `"}`)
	commitFinal = []byte(`{"type":"` + typeCommit + `","final":true}`)
)

// appendHead and appendTail enclose the base64 audio of an append event.
const (
	appendHead = `{"type":"` + typeAppend + `","audio":"`
	appendTail = `"}`
)

// sessionUpdate is 1b step 2. Older servers read only the model; the other
// keys are safe to send.
type sessionUpdate struct {
	Type     string `json:"type"`
	Model    string `json:"model"`
	Language string `json:"language,omitempty"`
	Prompt   string `json:"prompt,omitempty"`
}

// event is any server event; fields that do not apply are absent.
type event struct {
	Type  string          `json:"type"`
	Delta string          `json:"delta"`
	Text  *string         `json:"text"`
	Error json.RawMessage `json:"error"`
	Code  json.RawMessage `json:"code"`
}

// parseEvent decodes a server message.
func parseEvent(data []byte) (event, error) {
	var ev event
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, &asr.UpstreamError{Backend: BackendRealtime,
			Message: wire.Truncate(err.Error()), Err: fmt.Errorf("%w: %w", asr.ErrBadResponse, err)}
	}
	return ev, nil
}

// upstreamError turns an error event into an error; the message is a
// string with the code beside it, or an object in newer servers.
func (ev event) upstreamError() *asr.UpstreamError {
	status, code, msg := wire.ErrorDetail(ev.Error, ev.Code)
	return &asr.UpstreamError{Backend: BackendRealtime, Status: status, Code: code, Message: msg}
}

// appendEvent writes the append event for pcm into buf, reusing its
// storage, and returns it.
func appendEvent(buf []byte, pcm []int16) []byte {
	raw := 2 * len(pcm)
	size := len(appendHead) + base64.StdEncoding.EncodedLen(raw) + len(appendTail)
	if cap(buf) < size+raw {
		buf = make([]byte, 0, size+raw)
	}
	// The PCM bytes sit past the message, in the same storage.
	scratch := buf[size : size+raw]
	wire.PCM16(scratch, pcm)
	msg := append(buf[:0], appendHead...)
	msg = base64.StdEncoding.AppendEncode(msg, scratch)
	return append(msg, appendTail...)
}

// prompt is the context sent to the model: the caller's prompt and the
// hotwords, which the realtime endpoint has no field of their own for.
func prompt(opts asr.Options) string {
	parts := make([]string, 0, 2)
	if opts.Prompt != "" {
		parts = append(parts, opts.Prompt)
	}
	if len(opts.Hotwords) > 0 {
		parts = append(parts, strings.Join(opts.Hotwords, ", "))
	}
	return strings.Join(parts, "\n")
}

// mustJSON encodes a value that cannot fail to encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("qwen: encode %T: %v", v, err))
	}
	return b
}
