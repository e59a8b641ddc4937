package rag

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Embedding API flavours.
const (
	// APITEI is Hugging Face text-embeddings-inference's native routes.
	APITEI = "tei"
	// APIOpenAI is the OpenAI-compatible /v1/embeddings route of TEI, vLLM
	// and hosted services.
	APIOpenAI = "openai"
	// APIVLLM is vLLM's rerank route.
	APIVLLM = "vllm"
)

// defaultLinger is how long the batcher waits for concurrent callers to
// join a batch that is not full yet.
const defaultLinger = 2 * time.Millisecond

// EmbeddingConfig configures an EmbeddingClient.
type EmbeddingConfig struct {
	// URL is the server's base URL, such as http://127.0.0.1:8081.
	URL string
	// API is APITEI (POST /embed, the default) or APIOpenAI (POST
	// /v1/embeddings; a URL ending in /v1 is accepted too).
	API string
	// Model names the model for APIOpenAI; TEI serves one model and
	// ignores it.
	Model string
	// APIKey is sent as a bearer token when set.
	APIKey string
	// MaxBatch is the most inputs the server accepts in one request
	// (default 32, TEI's --max-client-batch-size).
	MaxBatch int
	// Linger is how long a batch not yet full waits for more concurrent
	// callers (default 2ms).
	Linger time.Duration
	// Timeout bounds one HTTP attempt (default 30s).
	Timeout    time.Duration
	HTTPClient *http.Client
}

// EmbeddingClient embeds texts through a TEI or OpenAI-compatible server
// (protocols.md 3a, 3b). Concurrent calls are coalesced into requests of
// up to MaxBatch inputs, and large calls are split into such requests.
// It is safe for concurrent use; Close stops its batching goroutine.
type EmbeddingClient struct {
	up       *upstream
	api      string
	model    string
	path     string
	maxBatch int
	linger   time.Duration

	requests chan *embedRequest
	done     chan struct{}
	base     context.Context // cancelled by Close, ends requests in flight
	cancel   context.CancelFunc
	close    sync.Once
	wg       sync.WaitGroup // the batcher and its dispatches
}

// embedRequest is one piece of a caller's texts, at most maxBatch long.
type embedRequest struct {
	ctx   context.Context
	texts []string
	reply chan embedReply
}

type embedReply struct {
	vecs [][]float32
	err  error
}

// NewEmbeddingClient validates cfg and starts the batcher.
func NewEmbeddingClient(cfg EmbeddingConfig) (*EmbeddingClient, error) {
	api := cmp.Or(strings.ToLower(cfg.API), APITEI)
	path := "/embed"
	switch api {
	case APITEI:
	case APIOpenAI, APIVLLM:
		api, path = APIOpenAI, "/v1/embeddings"
		cfg.URL = strings.TrimSuffix(strings.TrimRight(cfg.URL, "/"), "/v1")
	default:
		return nil, fmt.Errorf("new embedding client: %w: api %q (want tei or openai)", ErrBadConfig, cfg.API)
	}
	up, err := newUpstream(cfg.URL, cfg.APIKey, cfg.Timeout, cfg.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("new embedding client: %w", err)
	}

	c := &EmbeddingClient{
		up: up, api: api, model: cfg.Model, path: path,
		maxBatch: cmp.Or(max(cfg.MaxBatch, 0), DefaultMaxBatch),
		linger:   cmp.Or(max(cfg.Linger, 0), defaultLinger),
		requests: make(chan *embedRequest),
		done:     make(chan struct{}),
	}
	c.base, c.cancel = context.WithCancel(context.Background())
	c.wg.Add(1)
	go c.batcher()
	return c, nil
}

// Embed returns one vector per text, in order. Texts are sent in requests
// of at most MaxBatch inputs, shared with other callers' texts when calls
// overlap.
func (c *EmbeddingClient) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	var pending []*embedRequest
	for piece := range slices.Chunk(texts, c.maxBatch) {
		req := &embedRequest{ctx: ctx, texts: piece, reply: make(chan embedReply, 1)}
		select {
		case c.requests <- req:
			pending = append(pending, req)
		case <-c.done:
			return nil, fmt.Errorf("embed: %w", ErrClosed)
		case <-ctx.Done():
			return nil, fmt.Errorf("embed: %w", ctx.Err())
		}
	}

	out := make([][]float32, 0, len(texts))
	for _, req := range pending {
		select {
		case r := <-req.reply:
			if r.err != nil {
				return nil, fmt.Errorf("embed: %w", r.err)
			}
			out = append(out, r.vecs...)
		case <-ctx.Done():
			return nil, fmt.Errorf("embed: %w", ctx.Err())
		}
	}
	return out, nil
}

// Close stops the batcher, cancels requests in flight and waits for them.
// It is idempotent; Embed fails with ErrClosed afterwards.
func (c *EmbeddingClient) Close() error {
	c.close.Do(func() {
		close(c.done)
		c.cancel()
	})
	c.wg.Wait()
	return nil
}

// batcher collects requests into batches: a batch is sent when it is
// full, or when the linger time passed since its first request. A request
// that would overflow the batch opens the next one.
func (c *EmbeddingClient) batcher() {
	defer c.wg.Done()
	var next *embedRequest
	for {
		first := next
		if first == nil {
			select {
			case first = <-c.requests:
			case <-c.done:
				return
			}
		}
		batch, overflow, closed := c.collect(first)
		next = overflow
		if closed {
			failAll(append(batch, overflow), ErrClosed)
			return
		}
		c.wg.Add(1)
		go c.dispatch(batch)
	}
}

// collect gathers requests after first until the batch is full or the
// linger time passed. It returns the request that did not fit, if any,
// and whether the client was closed meanwhile.
func (c *EmbeddingClient) collect(first *embedRequest) (batch []*embedRequest, overflow *embedRequest, closed bool) {
	batch = []*embedRequest{first}
	size := len(first.texts)
	timer := time.NewTimer(c.linger)
	defer timer.Stop()
	for size < c.maxBatch {
		select {
		case r := <-c.requests:
			if size+len(r.texts) > c.maxBatch {
				return batch, r, false
			}
			batch = append(batch, r)
			size += len(r.texts)
		case <-timer.C:
			return batch, nil, false
		case <-c.done:
			return batch, nil, true
		}
	}
	return batch, nil, false
}

func failAll(reqs []*embedRequest, err error) {
	for _, r := range reqs {
		if r != nil {
			r.reply <- embedReply{err: err}
		}
	}
}

// dispatch sends one batch and hands each request its share. The request
// is cancelled when the client closes or when every caller in the batch
// has given up.
func (c *EmbeddingClient) dispatch(batch []*embedRequest) {
	defer c.wg.Done()
	ctx, cancel := context.WithCancel(c.base)
	defer cancel()
	var mu sync.Mutex // guards live
	live := len(batch)
	for _, r := range batch {
		stop := context.AfterFunc(r.ctx, func() {
			mu.Lock()
			defer mu.Unlock()
			if live--; live == 0 {
				cancel()
			}
		})
		defer stop()
	}

	var texts []string
	for _, r := range batch {
		texts = append(texts, r.texts...)
	}
	vecs, err := c.embedBatch(ctx, texts)
	if err != nil {
		failAll(batch, err)
		return
	}
	for _, r := range batch {
		r.reply <- embedReply{vecs: vecs[:len(r.texts):len(r.texts)]}
		vecs = vecs[len(r.texts):]
	}
}

// embedBatch makes one request and checks that it returned a vector per
// text.
func (c *EmbeddingClient) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	var vecs [][]float32
	var err error
	if c.api == APITEI {
		body := map[string]any{"inputs": texts, "truncate": true, "normalize": true}
		err = c.up.post(ctx, c.path, body, &vecs)
	} else {
		vecs, err = c.embedOpenAI(ctx, texts)
	}
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(texts) {
		return nil, fmt.Errorf("%w: %d vectors for %d inputs", ErrBadResponse, len(vecs), len(texts))
	}
	return vecs, nil
}

// embedOpenAI calls /v1/embeddings and orders the vectors by their index:
// the protocol does not promise that data[] comes in input order.
func (c *EmbeddingClient) embedOpenAI(ctx context.Context, texts []string) ([][]float32, error) {
	var reply struct {
		Data []struct {
			Embedding []float32 `json:"embedding"`
			Index     int       `json:"index"`
		} `json:"data"`
	}
	body := map[string]any{"input": texts}
	if c.model != "" {
		body["model"] = c.model
	}
	if err := c.up.post(ctx, c.path, body, &reply); err != nil {
		return nil, err
	}
	vecs := make([][]float32, len(texts))
	for _, d := range reply.Data {
		if d.Index < 0 || d.Index >= len(vecs) || vecs[d.Index] != nil {
			return nil, fmt.Errorf("%w: bad or repeated index %d", ErrBadResponse, d.Index)
		}
		vecs[d.Index] = d.Embedding
	}
	if len(reply.Data) != len(texts) {
		return nil, fmt.Errorf("%w: %d vectors for %d inputs", ErrBadResponse, len(reply.Data), len(texts))
	}
	return vecs, nil
}
