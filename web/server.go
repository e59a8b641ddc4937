// Package web serves voiced over HTTP: the OpenAI-compatible chat API,
// health and Prometheus metrics. Tenants authenticate with their API keys
// as bearer tokens.
package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/voiced/voiced/dialog"
	"github.com/voiced/voiced/store"
)

// Replier answers one chat turn; *dialog.Engine implements it.
type Replier interface {
	Reply(ctx context.Context, req dialog.Request, onDelta func(string) error) (dialog.Result, error)
}

// Config wires the server to the rest of voiced.
type Config struct {
	Store  store.Store
	Engine Replier
	// Agents returns a tenant's agents; the chat API's model field picks one.
	Agents func(tenantID string) []dialog.Agent
	// MaxBodyBytes limits request bodies (default 1 MiB).
	MaxBodyBytes int64
	Logger       *slog.Logger
	// Registry collects the server's metrics and is served on /metrics.
	// Nil uses a private registry.
	Registry *prometheus.Registry
	// Ready reports whether the node accepts work; /healthz answers 503
	// while it returns false (during start-up ingestion or draining).
	Ready func() bool
	Now   func() time.Time
	// DataDir is the data directory; conversations name their recordings
	// relative to it. Empty serves no recordings.
	DataDir string
}

// Server is the HTTP handler of voiced.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	metrics *metrics
}

// New builds the handler.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Engine == nil || cfg.Agents == nil {
		return nil, errors.New("web: store, engine and agents are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Ready == nil {
		cfg.Ready = func() bool { return true }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}

	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: newMetrics(cfg.Registry)}
	s.route("POST /v1/chat/completions", "chat", s.authed(s.handleChat))
	s.route("GET /v1/models", "models", s.authed(s.handleModels))
	s.route("GET /api/calls", "calls", s.authed(s.handleCalls))
	s.route("GET /api/calls/{id}", "call", s.authed(s.handleCall))
	s.route("GET /api/calls/{id}/recording", "recording", s.authed(s.handleRecording))
	s.route("GET /healthz", "healthz", s.handleHealth)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "not_found",
			"no route for "+r.Method+" "+r.URL.Path)
	})
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// route registers h, counting requests per route and status.
func (s *Server) route(pattern, name string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		h(rec, r)
		s.metrics.observe(name, rec.status, time.Since(start))
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if !s.cfg.Ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"status":"starting or draining"}`+"\n")
		return
	}
	io.WriteString(w, `{"status":"ok"}`+"\n")
}

type tenantKey struct{}

// authed resolves the bearer token to a tenant before calling h.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := bearer(r)
		if !ok {
			writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
				"missing API key: send Authorization: Bearer <tenant key>")
			return
		}
		t, err := s.cfg.Store.TenantByAPIKey(r.Context(), key)
		if errors.Is(err, store.ErrNotFound) {
			s.metrics.authFailures.Inc()
			writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
				"incorrect API key")
			return
		}
		if err != nil {
			s.cfg.Logger.Error("look up api key", "err", err)
			writeError(w, http.StatusInternalServerError, "server_error", "internal_error",
				"could not check the API key")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, t)))
	}
}

func tenantOf(r *http.Request) store.Tenant {
	t, _ := r.Context().Value(tenantKey{}).(store.Tenant)
	return t
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		// Azure-style clients send the key in api-key.
		k := r.Header.Get("api-key")
		return k, k != ""
	}
	return h[len(prefix):], true
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Flush lets streaming handlers flush through the recorder.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
