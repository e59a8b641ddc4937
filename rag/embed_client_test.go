package rag

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/voiced/voiced/rag/ragtest"
)

func newEmbedClient(t *testing.T, cfg EmbeddingConfig) *EmbeddingClient {
	t.Helper()
	c, err := NewEmbeddingClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("text number %d about meters", i)
	}
	return out
}

func TestEmbeddingClientAPIs(t *testing.T) {
	tests := []struct {
		api     string
		shuffle bool
		path    string
	}{
		{"tei", false, "/embed"},
		{"openai", false, "/v1/embeddings"},
		{"openai", true, "/v1/embeddings"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s shuffled=%v", tt.api, tt.shuffle), func(t *testing.T) {
			srv := ragtest.NewTEI(t, ragtest.Options{ShuffleOpenAI: tt.shuffle})
			c := newEmbedClient(t, EmbeddingConfig{URL: srv.URL, API: tt.api, Model: "bge-m3"})
			in := texts(5)
			got, err := c.Embed(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			for i := range in {
				if !slices.Equal(got[i], srv.Embed(in[i])) {
					t.Errorf("vector %d is not the embedding of %q", i, in[i])
				}
			}
			if n := srv.Requests(tt.path); n != 1 {
				t.Errorf("got %d requests to %s, want 1", n, tt.path)
			}
		})
	}
}

func TestEmbeddingClientSplitsLargeCalls(t *testing.T) {
	srv := ragtest.NewTEI(t, ragtest.Options{})
	c := newEmbedClient(t, EmbeddingConfig{URL: srv.URL})
	got, err := c.Embed(context.Background(), texts(70))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 70 {
		t.Fatalf("got %d vectors, want 70", len(got))
	}
	batches := srv.Batches()
	slices.Sort(batches)
	if want := []int{6, 32, 32}; !slices.Equal(batches, want) {
		t.Errorf("got batches %v, want %v", batches, want)
	}
}

func TestEmbeddingClientCoalescesConcurrentCalls(t *testing.T) {
	srv := ragtest.NewTEI(t, ragtest.Options{})
	c := newEmbedClient(t, EmbeddingConfig{URL: srv.URL, Linger: 50 * time.Millisecond})
	const callers = 16
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			in := []string{fmt.Sprintf("caller %d question", i)}
			got, err := c.Embed(context.Background(), in)
			if err == nil && !slices.Equal(got[0], srv.Embed(in[0])) {
				err = fmt.Errorf("caller %d got another caller's vector", i)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("batches: %v", srv.Batches())
	if n := srv.Requests("/embed"); n >= callers/2 {
		t.Errorf("got %d requests for %d concurrent callers, want them coalesced", n, callers)
	}
	for _, b := range srv.Batches() {
		if b > DefaultMaxBatch {
			t.Errorf("batch of %d inputs, want <= %d", b, DefaultMaxBatch)
		}
	}
}

func TestEmbeddingClientFaults(t *testing.T) {
	tests := []struct {
		name     string
		faults   []ragtest.Fault
		wantErr  bool
		wantReqs int
		status   int
	}{
		{"401 is not retried", []ragtest.Fault{ragtest.Fault401}, true, 1, 401},
		{"413 is not retried", []ragtest.Fault{ragtest.Fault413}, true, 1, 413},
		{"500 is retried", []ragtest.Fault{ragtest.Fault500}, false, 2, 0},
		{"503 then 429 are retried", []ragtest.Fault{ragtest.Fault503, ragtest.Fault429}, false, 3, 0},
		{"5xx gives up after 2 retries", []ragtest.Fault{ragtest.Fault500, ragtest.Fault500,
			ragtest.Fault503}, true, 3, 503},
		{"malformed json", []ragtest.Fault{ragtest.FaultMalformed}, true, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := ragtest.NewTEI(t, ragtest.Options{})
			c := newEmbedClient(t, EmbeddingConfig{URL: srv.URL})
			c.up.backoff = time.Millisecond
			srv.Fail(tt.faults...)

			_, err := c.Embed(context.Background(), texts(2))
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if n := srv.Requests("/embed"); n != tt.wantReqs {
				t.Errorf("got %d requests, want %d", n, tt.wantReqs)
			}
			var ue *UpstreamError
			if tt.status != 0 && (!errors.As(err, &ue) || ue.Status != tt.status) {
				t.Errorf("got %v, want an UpstreamError with status %d", err, tt.status)
			}
			if tt.name == "malformed json" && !errors.Is(err, ErrBadResponse) {
				t.Errorf("got %v, want ErrBadResponse", err)
			}
		})
	}
}

func TestEmbeddingClientTooManyInputs(t *testing.T) {
	srv := ragtest.NewTEI(t, ragtest.Options{MaxBatch: 4})
	c := newEmbedClient(t, EmbeddingConfig{URL: srv.URL, MaxBatch: 8})
	_, err := c.Embed(context.Background(), texts(8))
	var ue *UpstreamError
	if !errors.As(err, &ue) || ue.Status != 422 || !ue.IsType("validation") {
		t.Fatalf("got %v, want a 422 validation error", err)
	}
	if n := srv.Requests("/embed"); n != 1 {
		t.Errorf("got %d requests, want 1 (4xx is not retried)", n)
	}
}

func TestEmbeddingClientRefusedConnectionIsRetried(t *testing.T) {
	c := newEmbedClient(t, EmbeddingConfig{URL: ragtest.ClosedURL(t)})
	c.up.backoff = time.Millisecond
	start := time.Now()
	_, err := c.Embed(context.Background(), texts(1))
	if err == nil || !retryable(err) {
		t.Fatalf("got %v, want a refused connection", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v, want a quick failure", d)
	}
}

func TestEmbeddingClientSlowServerHonoursContext(t *testing.T) {
	srv := ragtest.NewTEI(t, ragtest.Options{SlowDelay: 5 * time.Second})
	c := newEmbedClient(t, EmbeddingConfig{URL: srv.URL})
	srv.Fail(ragtest.FaultSlow)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Embed(ctx, texts(1))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v, want soon after the deadline", d)
	}
}

func TestEmbeddingClientTimeout(t *testing.T) {
	srv := ragtest.NewTEI(t, ragtest.Options{SlowDelay: 5 * time.Second})
	c := newEmbedClient(t, EmbeddingConfig{URL: srv.URL, Timeout: 100 * time.Millisecond})
	srv.Fail(ragtest.FaultSlow)
	if _, err := c.Embed(context.Background(), texts(1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want a deadline error", err)
	}
}

func TestEmbeddingClientClose(t *testing.T) {
	srv := ragtest.NewTEI(t, ragtest.Options{})
	c, err := NewEmbeddingClient(EmbeddingConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second close: got %v, want nil", err)
	}
	if _, err := c.Embed(context.Background(), texts(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("embed after close: got %v, want ErrClosed", err)
	}
}

func TestNewEmbeddingClientValidates(t *testing.T) {
	for _, cfg := range []EmbeddingConfig{
		{URL: ""}, {URL: "ftp://host"}, {URL: "http://127.0.0.1:1", API: "grpc"},
	} {
		if _, err := NewEmbeddingClient(cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("NewEmbeddingClient(%+v): got %v, want ErrBadConfig", cfg, err)
		}
	}
}

func TestParseUpstreamError(t *testing.T) {
	tests := []struct {
		name string
		body string
		want UpstreamError
	}{
		{"tei native", `{"error":"Input validation error","error_type":"Validation"}`,
			UpstreamError{422, "Validation", "Input validation error"}},
		{"openai flat", `{"message":"bad model","type":"invalid_request_error","code":400}`,
			UpstreamError{422, "invalid_request_error", "bad model"}},
		{"vllm nested", `{"error":{"message":"too long","type":"BadRequestError","param":null,"code":400}}`,
			UpstreamError{422, "BadRequestError", "too long"}},
		{"plain text", "Failed to buffer the request body: length limit exceeded\n",
			UpstreamError{422, "", "Failed to buffer the request body: length limit exceeded"}},
		{"empty", "", UpstreamError{422, "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseUpstreamError(422, []byte(tt.body)); *got != tt.want {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
	e := &UpstreamError{Status: 422, Type: "VALIDATION"}
	if !e.IsType("validation") {
		t.Errorf("IsType(%q) with Type %q = false, want true", "validation", e.Type)
	}
}
