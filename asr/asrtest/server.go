package asrtest

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Server is a fake vLLM Qwen3-ASR server with the realtime WebSocket
// (protocols.md 1b) and the REST endpoint (1a, with mlx-audio's ndjson of
// 1c) on one address, as vLLM serves them. It records what it receives,
// so that tests can check what a client sent.
type Server struct {
	// URL is the server's base URL, "http://127.0.0.1:port", without /v1.
	URL string

	t    testing.TB
	addr string
	srv  *http.Server
	ctx  context.Context // ends when the server closes
	stop context.CancelFunc

	mu       sync.Mutex // guards the fields below
	ln       net.Listener
	serving  sync.WaitGroup // Serve loops
	handlers sync.WaitGroup // requests and sockets in progress
	closing  bool
	realtime []Script
	rest     []Script
	fallback Script
	apiKey   string
	sessions []*Session
	requests []*Request
}

// NewServer starts a server that is closed when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("asrtest: listen: %v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{t: t, addr: ln.Addr().String(), ctx: ctx, stop: stop}
	s.URL = "http://" + s.addr
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/realtime", s.tracked(s.serveRealtime))
	mux.HandleFunc("POST /v1/audio/transcriptions", s.tracked(s.serveREST))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.serve(ln)
	t.Cleanup(s.Close)
	return s
}

// EnqueueRealtime adds scripts for the next WebSocket sessions, in order.
func (s *Server) EnqueueRealtime(scripts ...Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.realtime = append(s.realtime, scripts...)
}

// EnqueueREST adds scripts for the next REST requests, in order.
func (s *Server) EnqueueREST(scripts ...Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rest = append(s.rest, scripts...)
}

// SetDefault sets the script of sessions and requests the queues do not
// answer; the zero Script until then.
func (s *Server) SetDefault(sc Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fallback = sc
}

// RequireKey makes the server refuse, with 401, requests and handshakes
// that do not carry key as a bearer token.
func (s *Server) RequireKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// Refuse closes the listener: new connections are refused, open ones go
// on.
func (s *Server) Refuse() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
}

// Resume listens again on the same address after Refuse.
func (s *Server) Resume() {
	s.t.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("asrtest: listen again on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

// serve accepts connections on ln until it closes.
func (s *Server) serve(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ln = ln
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		s.srv.Serve(ln)
	}()
}

// Sessions returns what the realtime endpoint received, a Session per
// socket, in order.
func (s *Server) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, len(s.sessions))
	for i, r := range s.sessions {
		out[i] = r.clone()
	}
	return out
}

// Requests returns the REST requests received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

// Close stops the server, drops every connection and waits for its
// handlers. It is idempotent.
func (s *Server) Close() {
	s.Refuse()
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.stop()
	s.srv.Close()
	s.serving.Wait()
	s.handlers.Wait()
}

// tracked counts a handler, so that Close can wait for it.
func (s *Server) tracked(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			return
		}
		s.handlers.Add(1)
		s.mu.Unlock()
		defer s.handlers.Done()
		h(w, r)
	}
}

// take returns the next script of queue, or the default.
func (s *Server) take(queue *[]Script) Script {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(*queue) == 0 {
		return s.fallback
	}
	sc := (*queue)[0]
	*queue = (*queue)[1:]
	return sc
}

// authorized checks the bearer token when a key is required.
func (s *Server) authorized(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiKey == "" || r.Header.Get("Authorization") == "Bearer "+s.apiKey
}

// writeError answers with vLLM's error body:
// {"error":{"message","type","param","code"}}.
func writeError(w http.ResponseWriter, status int, message string) {
	if message == "" {
		message = http.StatusText(status)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": message, "type": errorType(status), "param": nil, "code": status}})
}

// errorType is the error type vLLM names for a status.
func errorType(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "AuthenticationError"
	case status == http.StatusNotFound:
		return "NotFoundError"
	case status >= 500:
		return "InternalServerError"
	}
	return "BadRequestError"
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// RefusedURL returns the base URL of a local address where nothing
// listens, so that connections to it are refused.
func RefusedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("asrtest: listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}
