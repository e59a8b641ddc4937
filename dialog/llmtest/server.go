package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Server is a fake OpenAI-compatible chat completions server.
type Server struct {
	// URL is the OpenAI-style base URL, ending in /v1.
	URL string
	// Endpoint is the bare server address, the base URL of the Azure form.
	Endpoint string

	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex // guards the fields below
	queue    []Script
	handler  func(Request) Script
	apiKey   string
	requests []Request
}

// Request is a request the server received.
type Request struct {
	Path string
	// Deployment and APIVersion are set for the Azure form.
	Deployment string
	APIVersion string
	Header     http.Header

	Model        string
	Stream       bool
	IncludeUsage bool
	MaxTokens    int
	Messages     []Message
	Tools        []Tool
	// Body is the raw JSON body.
	Body []byte
}

// Message is a message of a received request.
type Message struct {
	Role       string
	Content    string
	Name       string
	ToolCallID string
	ToolCalls  []ToolCall
}

// Tool is a function a received request offered.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// NewServer starts a server that is closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/v1"
	s.Endpoint = s.srv.URL
	t.Cleanup(s.srv.Close)
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
// bearer token or in an api-key header.
func (s *Server) RequireKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// Refuse closes the listener, so that new connections are refused.
func (s *Server) Refuse() { s.srv.Close() }

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns the number of requests received so far.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// serve answers one request.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req, err := s.decode(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	script, ok, authorized := s.take(req)
	switch {
	case !authorized:
		writeError(w, http.StatusUnauthorized, "Incorrect API key provided.")
		return
	case !ok:
		s.t.Errorf("llmtest: no script for request %d to %s", s.Count(), req.Path)
		writeError(w, http.StatusInternalServerError, "llmtest: no script left")
		return
	}

	if script.Status != 0 {
		if !sleep(r, script.FirstTokenDelay) {
			return
		}
		writeError(w, script.Status, nonEmpty(script.ErrorMessage, http.StatusText(script.Status)))
		return
	}
	if !req.Stream {
		if sleep(r, script.FirstTokenDelay) {
			writeJSON(w, http.StatusOK, whole(req, script))
		}
		return
	}
	stream(w, r, req, script)
}

// decode reads and records a request.
func (s *Server) decode(r *http.Request) (Request, error) {
	req := Request{Path: r.URL.Path, Header: r.Header.Clone(),
		APIVersion: r.URL.Query().Get("api-version")}
	switch {
	case r.Method != http.MethodPost:
		return req, fmt.Errorf("method %s is not POST", r.Method)
	case r.URL.Path == "/v1/chat/completions":
	case strings.HasPrefix(r.URL.Path, "/openai/deployments/") &&
		strings.HasSuffix(r.URL.Path, "/chat/completions"):
		req.Deployment = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path,
			"/openai/deployments/"), "/chat/completions")
		if req.APIVersion == "" {
			return req, fmt.Errorf("api-version query parameter is missing")
		}
	default:
		return req, fmt.Errorf("unknown path %s", r.URL.Path)
	}

	body, err := io.ReadAll(r.Body)
	if err != nil {
		return req, err
	}
	req.Body = body
	if err := parseBody(body, &req); err != nil {
		return req, fmt.Errorf("invalid body: %w", err)
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	return req, nil
}

// take picks the script for req and checks its key.
func (s *Server) take(req Request) (script Script, ok, authorized bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apiKey != "" && req.Header.Get("Authorization") != "Bearer "+s.apiKey &&
		req.Header.Get("api-key") != s.apiKey {
		return Script{}, false, false
	}
	if len(s.queue) > 0 {
		script, s.queue = s.queue[0], s.queue[1:]
		return script, true, true
	}
	if s.handler != nil {
		return s.handler(req), true, true
	}
	return Script{}, false, true
}

// parseBody reads the parts of a chat completion request tests look at.
func parseBody(body []byte, req *Request) error {
	var in struct {
		Model         string `json:"model"`
		Stream        bool   `json:"stream"`
		MaxTokens     int    `json:"max_tokens"`
		StreamOptions *struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
		Messages []struct {
			Role       string          `json:"role"`
			Content    json.RawMessage `json:"content"`
			Name       string          `json:"name"`
			ToolCallID string          `json:"tool_call_id"`
			ToolCalls  []wireToolCall  `json:"tool_calls"`
		} `json:"messages"`
		Tools []struct {
			Function struct {
				Name        string          `json:"name"`
				Description string          `json:"description"`
				Parameters  json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return err
	}
	req.Model, req.Stream, req.MaxTokens = in.Model, in.Stream, in.MaxTokens
	req.IncludeUsage = in.StreamOptions != nil && in.StreamOptions.IncludeUsage
	for _, m := range in.Messages {
		msg := Message{Role: m.Role, Name: m.Name, ToolCallID: m.ToolCallID,
			Content: contentText(m.Content)}
		for _, c := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: c.ID,
				Name: c.Function.Name, Arguments: c.Function.Arguments})
		}
		req.Messages = append(req.Messages, msg)
	}
	for _, t := range in.Tools {
		req.Tools = append(req.Tools, Tool{Name: t.Function.Name,
			Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	return nil
}

// contentText reads a message content that is a string or a list of text
// parts.
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
