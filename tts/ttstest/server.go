package ttstest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths the server answers.
const (
	// SpeechPath takes POSTed JSON and answers with audio.
	SpeechPath = "/v1/audio/speech"
	// SpeechStreamPath is the WebSocket that takes text in pieces.
	SpeechStreamPath = "/v1/audio/speech/stream"
)

// Server is a fake Qwen3-TTS server.
type Server struct {
	// URL is the server's base URL, without /v1.
	URL string

	srv    *httptest.Server
	ctx    context.Context // ends WebSocket sessions at Close
	cancel context.CancelFunc
	ws     sync.WaitGroup // WebSocket sessions, which httptest stops tracking

	mu       sync.Mutex // guards the fields below
	queue    []Script
	handler  func(Request) Script
	apiKey   string
	requests []*Request
}

// Request is a request the server received: a POST to SpeechPath, or a
// WebSocket session on SpeechStreamPath.
type Request struct {
	Path   string
	Header http.Header
	// Body is the raw JSON of a POST, or of the session.config message.
	Body []byte
	// Fields are Body's top-level fields, raw, to check the exact JSON
	// sent, absent fields included.
	Fields map[string]json.RawMessage

	Input          string
	Model          string
	Voice          string
	Language       string
	ResponseFormat string
	Stream         bool
	StreamFormat   string

	// Texts are the input.text pieces of a WebSocket session, in order;
	// Messages are all its text messages after session.config, raw.
	Texts    []string
	Messages []string
}

// NewServer starts a server that is closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Enqueue adds scripts answering the next requests, in order.
func (s *Server) Enqueue(scripts ...Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, scripts...)
}

// Handle makes fn choose the script of every request the queue does not
// answer.
func (s *Server) Handle(fn func(Request) Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = fn
}

// RequireKey makes the server answer 401 unless a request carries key as a
// bearer token.
func (s *Server) RequireKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// Refuse closes the listener, so that new connections are refused.
func (s *Server) Refuse() { s.srv.Close() }

// Close shuts the server down and waits for its WebSocket sessions. It is
// safe to call more than once.
func (s *Server) Close() {
	s.srv.Close()
	s.cancel()
	s.ws.Wait()
}

// Requests returns copies of the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
		out[i].Texts = append([]string(nil), r.Texts...)
		out[i].Messages = append([]string(nil), r.Messages...)
	}
	return out
}

// Count returns the number of requests received so far.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// serve routes one request.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == SpeechStreamPath:
		s.serveStream(w, r)
	case r.URL.Path != SpeechPath:
		writeError(w, http.StatusNotFound, "NotFoundError", "", "Not Found")
	case r.Method != http.MethodPost:
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "", "Method Not Allowed")
	default:
		s.serveSpeech(w, r)
	}
}

// serveSpeech answers a POST to SpeechPath.
func (s *Server) serveSpeech(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	req := &Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	if err := req.parse(body); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequestError", "", err.Error())
		return
	}
	s.record(req)
	script, ok := s.script(w, r, *req)
	if !ok {
		return
	}
	if msg := req.invalid(); msg != "" {
		writeError(w, http.StatusBadRequest, "BadRequestError", "", msg)
		return
	}
	s.speak(w, r, *req, script)
}

// script checks the key and takes the request's script. It answers the
// request itself, and returns false, when that is all there is to do.
func (s *Server) script(w http.ResponseWriter, r *http.Request, req Request) (Script, bool) {
	s.mu.Lock()
	key := s.apiKey
	var script Script
	switch {
	case len(s.queue) > 0:
		script, s.queue = s.queue[0], s.queue[1:]
	case s.handler != nil:
		script = s.handler(req)
	}
	s.mu.Unlock()

	if key != "" && r.Header.Get("Authorization") != "Bearer "+key {
		writeError(w, http.StatusUnauthorized, "AuthenticationError", "",
			"Incorrect API key provided.")
		return script, false
	}
	if script.Status != 0 {
		if sleep(r, script.FirstByteDelay) {
			writeError(w, script.Status, errorType(script), script.ErrorParam,
				nonEmpty(script.ErrorMessage, http.StatusText(script.Status)))
		}
		return script, false
	}
	return script, true
}

func (s *Server) record(req *Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
}

// parse decodes a JSON body into the request's fields.
func (req *Request) parse(body []byte) error {
	if err := json.Unmarshal(body, &req.Fields); err != nil {
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	var v struct {
		Input          string `json:"input"`
		Model          string `json:"model"`
		Voice          string `json:"voice"`
		Language       string `json:"language"`
		ResponseFormat string `json:"response_format"`
		Stream         bool   `json:"stream"`
		StreamFormat   string `json:"stream_format"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("invalid field: %w", err)
	}
	req.Input, req.Model, req.Voice, req.Language = v.Input, v.Model, v.Voice, v.Language
	req.ResponseFormat, req.Stream, req.StreamFormat = v.ResponseFormat, v.Stream, v.StreamFormat
	return nil
}

// invalid returns why vLLM-Omni would reject the request, if it would.
func (req *Request) invalid() string {
	var speed float64
	switch {
	case strings.TrimSpace(req.Input) == "":
		return "Input text cannot be empty"
	case req.Stream && req.Fields["speed"] != nil &&
		json.Unmarshal(req.Fields["speed"], &speed) == nil && speed != 1:
		return "speed must be 1.0 when streaming"
	}
	return ""
}

// writeError answers with vLLM's error body.
func writeError(w http.ResponseWriter, status int, typ, param, message string) {
	var p any
	if param != "" {
		p = param
	}
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": message, "type": typ, "param": p, "code": status,
	}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func errorType(s Script) string {
	if s.ErrorType != "" {
		return s.ErrorType
	}
	if s.Status >= 500 {
		return "InternalServerError"
	}
	return "BadRequestError"
}

func nonEmpty(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// sleep waits d, or until the client goes away; it reports whether the
// client is still there.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return false
	case <-t.C:
		return true
	}
}
