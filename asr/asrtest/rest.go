package asrtest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// maxUpload is vLLM's limit on the uploaded file (protocols.md 1a).
const maxUpload = 25 << 20

// Request is one transcription request the REST endpoint received.
type Request struct {
	Header http.Header
	// Fields are the form fields besides the file.
	Fields map[string]string
	// FileName and FileType are the file part's name and Content-Type.
	FileName, FileType string
	// SampleRate, Channels and Bits are the WAV file's format.
	SampleRate, Channels, Bits int
	// Samples is how many samples the WAV file holds.
	Samples int
	// Violations are the problems the server noticed with the request.
	Violations []string
}

func (r *Request) clone() Request {
	c := *r
	c.Header = r.Header.Clone()
	c.Fields = maps.Clone(r.Fields)
	c.Violations = slices.Clone(r.Violations)
	return c
}

// serveREST answers POST /v1/audio/transcriptions (protocols.md 1a, 1c).
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	req := s.readRequest(r)
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	sc := s.take(&s.rest)
	if !sleep(r.Context(), sc.Delay) {
		return
	}

	switch {
	case !s.authorized(r):
		writeError(w, http.StatusUnauthorized, "Incorrect API key provided.")
		return
	case sc.Hang:
		select {
		case <-r.Context().Done():
		case <-s.ctx.Done():
		}
		return
	case sc.Status != 0:
		writeError(w, sc.Status, sc.Message)
		return
	case len(req.Violations) > 0:
		writeError(w, http.StatusBadRequest, strings.Join(req.Violations, "; "))
		return
	}
	reply{w: w, sc: sc, deltas: sc.deltas(req.Samples), format: format(sc, req),
		usage: req.Fields["stream_include_usage"] == "true"}.write()
}

// format picks the reply format of a request.
func format(sc Script, req *Request) string {
	switch {
	case sc.Format != "":
		return sc.Format
	case req.Fields["stream"] == "true":
		return FormatSSE
	case req.Fields["response_format"] == FormatText:
		return FormatText
	}
	return FormatJSON
}

// readRequest reads and checks the multipart form.
func (s *Server) readRequest(r *http.Request) *Request {
	req := &Request{Header: r.Header.Clone(), Fields: map[string]string{}}
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		req.Violations = append(req.Violations, fmt.Sprintf("form: %v", err))
		return req
	}
	for name, values := range r.MultipartForm.Value {
		req.Fields[name] = values[0]
	}
	files := r.MultipartForm.File["file"]
	if len(files) != 1 {
		req.Violations = append(req.Violations, fmt.Sprintf("%d file parts, want 1", len(files)))
		return req
	}
	req.FileName, req.FileType = files[0].Filename, files[0].Header.Get("Content-Type")
	f, err := files[0].Open()
	if err != nil {
		req.Violations = append(req.Violations, fmt.Sprintf("file: %v", err))
		return req
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	if err := readWAV(data, req); err != nil {
		req.Violations = append(req.Violations, fmt.Sprintf("file: %v", err))
	}
	return req
}

// readWAV reads a canonical PCM WAV file's format and length.
func readWAV(b []byte, req *Request) error {
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " {
		return fmt.Errorf("not a canonical WAV file")
	}
	if binary.LittleEndian.Uint32(b[4:]) != uint32(len(b)-8) {
		return fmt.Errorf("RIFF size %d, file is %d bytes", binary.LittleEndian.Uint32(b[4:]), len(b))
	}
	if f := binary.LittleEndian.Uint16(b[20:]); f != 1 {
		return fmt.Errorf("format %d, want 1 (PCM)", f)
	}
	req.Channels = int(binary.LittleEndian.Uint16(b[22:]))
	req.SampleRate = int(binary.LittleEndian.Uint32(b[24:]))
	req.Bits = int(binary.LittleEndian.Uint16(b[34:]))
	size := int(binary.LittleEndian.Uint32(b[40:]))
	if string(b[36:40]) != "data" || size != len(b)-44 {
		return fmt.Errorf("data chunk of %d bytes, file has %d", size, len(b)-44)
	}
	if req.Channels != 1 || req.SampleRate != 16000 || req.Bits != 16 {
		return fmt.Errorf("%d Hz, %d channels, %d bits; want 16000 Hz mono 16-bit",
			req.SampleRate, req.Channels, req.Bits)
	}
	req.Samples = size / 2
	return nil
}

// reply writes one REST answer.
type reply struct {
	w      http.ResponseWriter
	sc     Script
	deltas []string
	format string
	usage  bool // send the usage chunk of a stream
}

func (rp reply) write() {
	switch rp.format {
	case FormatSSE:
		rp.sse()
	case FormatNDJSON:
		rp.ndjson()
	case FormatText:
		rp.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rp.body([]byte(pad(strings.Join(rp.deltas, ""), rp.sc.Oversize)))
	default:
		rp.json()
	}
}

// json writes {"text":...,"usage":{"type":"duration","seconds":N}}, or an
// in-band error when the script has one.
func (rp reply) json() {
	rp.w.Header().Set("Content-Type", "application/json")
	var v any = map[string]any{"text": pad(strings.Join(rp.deltas, ""), rp.sc.Oversize),
		"usage": map[string]any{"type": "duration", "seconds": 1}}
	if rp.sc.ErrorMessage != "" {
		v = errorBody(rp.sc, rp.format)
	}
	data, _ := json.Marshal(v)
	if rp.sc.Malformed {
		data = data[:len(data)/2]
	}
	rp.body(data)
}

// body writes data; with Drop, the connection is cut halfway through.
func (rp reply) body(data []byte) {
	rp.w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if rp.sc.Drop {
		rp.w.Write(data[:len(data)/2])
		rp.w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	rp.w.Write(data)
}

// sse streams transcription.chunk events, a usage chunk with empty
// choices when asked for, then [DONE]; an error is data: {"error":{...}} then [DONE].
func (rp reply) sse() {
	h := rp.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	rp.w.WriteHeader(http.StatusOK)
	rp.line(": ping")
	for i, d := range rp.deltas {
		if rp.fault(i) {
			return
		}
		rp.value(map[string]any{"id": "trsc-fake", "object": "transcription.chunk",
			"created": 1, "model": "fake", "choices": []any{map[string]any{
				"delta": map[string]any{"content": pad(d, rp.sc.Oversize)}}}})
	}
	if rp.fault(len(rp.deltas)) {
		return
	}
	if rp.usage {
		rp.value(map[string]any{"object": "transcription.chunk", "choices": []any{},
			"usage": map[string]any{"prompt_tokens": 10, "completion_tokens": len(rp.deltas)}})
	}
	rp.line("data: [DONE]\n")
}

// ndjson writes mlx-audio's reply: a {"text":...} object per line, an
// error line {"error":{"message","type"}}.
func (rp reply) ndjson() {
	rp.w.Header().Set("Content-Type", "application/x-ndjson")
	rp.w.WriteHeader(http.StatusOK)
	for i, d := range rp.deltas {
		if rp.fault(i) {
			return
		}
		rp.value(map[string]any{"text": pad(d, rp.sc.Oversize)})
	}
	rp.fault(len(rp.deltas))
}

// fault plays the script's stream faults before delta i; it reports
// whether the reply ended.
func (rp reply) fault(i int) bool {
	switch {
	case rp.sc.Drop && i == rp.sc.DropAfterDeltas:
		panic(http.ErrAbortHandler)
	case rp.sc.ErrorMessage != "" && i == rp.sc.ErrorAfterDeltas:
		rp.value(errorBody(rp.sc, rp.format))
		if rp.format == FormatSSE {
			rp.line("data: [DONE]\n")
		}
		return true
	case rp.sc.Malformed && i == 0:
		if rp.format == FormatSSE {
			rp.line(`data: {"object":"transcription.chunk","choices":[{"delta":` + "\n")
			rp.line("data: [DONE]\n")
		} else {
			rp.line(`{"text": "language Eng`)
		}
		return true
	}
	return false
}

// value writes one JSON value: an SSE data line, or an ndjson line.
func (rp reply) value(v any) {
	if rp.format == FormatSSE {
		rp.sseEvent(v)
		return
	}
	data, _ := json.Marshal(v)
	rp.line(string(data))
}

// errorBody is an in-stream error: vLLM's {"error":{"message","type",
// "code"}}, with 500 as the default code, or mlx-audio's
// {"error":{"message","type"}}.
func errorBody(sc Script, format string) map[string]any {
	if format == FormatNDJSON {
		return map[string]any{"error": map[string]any{"message": sc.ErrorMessage,
			"type": "ValueError"}}
	}
	code := sc.ErrorCode
	if code == "" {
		code = "500"
	}
	var c any = code
	if n, err := strconv.Atoi(code); err == nil {
		c = n
	}
	return map[string]any{"error": map[string]any{"message": sc.ErrorMessage,
		"type": "InternalServerError", "code": c}}
}

func (rp reply) sseEvent(v any) {
	data, _ := json.Marshal(v)
	rp.line("data: " + string(data) + "\n")
}

// line writes a line and flushes it to the client.
func (rp reply) line(s string) {
	io.WriteString(rp.w, s+"\n")
	rp.w.(http.Flusher).Flush()
}
