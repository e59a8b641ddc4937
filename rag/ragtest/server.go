package ragtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

// Fault is a failure the server injects instead of answering.
type Fault int

// Faults. A refused connection is not a fault of a running server: use
// ClosedURL for it.
const (
	NoFault Fault = iota
	// Fault500 answers 500 with an error body in the route's shape.
	Fault500
	// Fault503 answers 503 (TEI: unhealthy).
	Fault503
	// Fault429 answers 429 (TEI: overloaded).
	Fault429
	// Fault401 answers 401, as a server behind an API key check does.
	Fault401
	// Fault413 answers 413 with a plain-text body, as TEI's body limit
	// does.
	Fault413
	// FaultMalformed answers 200 with a body that is not valid JSON.
	FaultMalformed
	// FaultSlow waits Options.SlowDelay (or until the client gives up)
	// before answering normally.
	FaultSlow
)

// Options configures a Server. Zero values take the defaults.
type Options struct {
	// MaxBatch is the most inputs one request may carry (default 32, TEI's
	// --max-client-batch-size); more is a 422 validation error.
	MaxBatch int
	// Dim is the embedding dimension (default 64).
	Dim int
	// Flavor picks the error shape of the /v1 routes: "tei" (default,
	// flat {"message","type","code"}) or "vllm" (nested {"error":{...}}).
	Flavor string
	// ShuffleOpenAI returns /v1/embeddings data in reverse order (with
	// correct indexes), which the protocol allows.
	ShuffleOpenAI bool
	// SlowDelay is the delay of FaultSlow (default 2s).
	SlowDelay time.Duration
	// APIKey, when set, makes every request without "Bearer APIKey" a 401.
	APIKey string
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, without a trailing slash.
	URL  string
	opts Options
	srv  *httptest.Server

	mu       sync.Mutex // guards the fields below
	faults   []Fault    // injected into the next requests, in order
	requests map[string]int
	batches  []int
}

// NewTEI starts a fake server that closes when the test ends.
func NewTEI(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 32
	}
	if opts.Dim <= 0 {
		opts.Dim = 64
	}
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = 2 * time.Second
	}
	s := &Server{opts: opts, requests: make(map[string]int)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /embed", s.handleEmbed)
	mux.HandleFunc("POST /v1/embeddings", s.handleOpenAI)
	mux.HandleFunc("POST /rerank", s.handleRerank)
	mux.HandleFunc("POST /v1/rerank", s.handleRerank)
	s.srv = httptest.NewServer(s.middleware(mux))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close shuts the server down; later requests are refused.
func (s *Server) Close() { s.srv.Close() }

// Fail makes the next len(faults) requests fail with the given faults, in
// order; later requests are answered normally.
func (s *Server) Fail(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// Requests returns how many requests reached path ("/embed"), faulty
// ones included.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// Batches returns the number of inputs of each embedding request answered
// successfully, in arrival order.
func (s *Server) Batches() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.batches)
}

// ClosedURL returns the URL of a port that was listening and is now
// closed, so that connecting to it is refused.
func ClosedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	return url
}

// middleware counts requests, checks the API key and injects faults.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the whole body first lets net/http notice a client that
		// hangs up while a slow answer is pending.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))

		s.mu.Lock()
		s.requests[r.URL.Path]++
		fault := NoFault
		if len(s.faults) > 0 {
			fault, s.faults = s.faults[0], s.faults[1:]
		}
		s.mu.Unlock()

		if s.opts.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.APIKey {
			fault = Fault401
		}
		if s.inject(w, r, fault) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// inject writes the fault's answer; it reports whether the request is
// done.
func (s *Server) inject(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f {
	case Fault500:
		s.error(w, r, http.StatusInternalServerError, "Backend", "model backend failed")
	case Fault503:
		s.error(w, r, http.StatusServiceUnavailable, "Unhealthy", "model is not ready")
	case Fault429:
		s.error(w, r, http.StatusTooManyRequests, "Overloaded", "model is overloaded")
	case Fault401:
		s.error(w, r, http.StatusUnauthorized, "Unauthorized", "invalid api key")
	case Fault413:
		http.Error(w, "Failed to buffer the request body: length limit exceeded",
			http.StatusRequestEntityTooLarge)
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[[0.1, 0.2`)
	case FaultSlow:
		select {
		case <-time.After(s.opts.SlowDelay):
		case <-r.Context().Done():
		}
		return false
	default:
		return false
	}
	return true
}

// error writes an error body in the shape of the route and flavor
// (protocols.md 3a, 3b).
func (s *Server) error(w http.ResponseWriter, r *http.Request, status int, typ, msg string) {
	var body any
	switch {
	case !strings.HasPrefix(r.URL.Path, "/v1/") && s.opts.Flavor != "vllm":
		body = map[string]string{"error": msg, "error_type": typ}
	case s.opts.Flavor == "vllm":
		body = map[string]any{"error": map[string]any{"message": msg, "type": typ,
			"param": nil, "code": status}}
	default:
		body = map[string]any{"message": msg, "type": typ, "code": status}
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// checkInputs validates a request's input count like TEI: none is 400,
// more than MaxBatch is 422.
func (s *Server) checkInputs(w http.ResponseWriter, r *http.Request, n int) bool {
	if n == 0 {
		s.error(w, r, http.StatusBadRequest, "Empty", "Input cannot be empty")
		return false
	}
	if n > s.opts.MaxBatch {
		s.error(w, r, http.StatusUnprocessableEntity, "Validation", fmt.Sprintf(
			"batch size %d > maximum allowed batch size %d", n, s.opts.MaxBatch))
		return false
	}
	return true
}

func (s *Server) recordBatch(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, n)
}

// Embed returns the fake's deterministic embedding of text: a normalized
// hashed bag of lower-cased words with a crude plural folding.
func (s *Server) Embed(text string) []float32 {
	v := make([]float32, s.opts.Dim)
	for _, w := range words(text) {
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%uint32(s.opts.Dim)]++
	}
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		v[0] = 1
		return v
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(sum))
	}
	return v
}

// words splits text into lower-case words, folding a trailing "s".
func words(text string) []string {
	fields := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for i, f := range fields {
		if len(f) > 3 && strings.HasSuffix(f, "s") {
			fields[i] = f[:len(f)-1]
		}
	}
	return fields
}
