package dialog

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/voiced/voiced/internal/breaker"
	"github.com/voiced/voiced/rag"
	"github.com/voiced/voiced/store"
)

// Searcher retrieves a tenant's passages for a query, best first. The rag
// package's retriever implements it.
type Searcher interface {
	Search(ctx context.Context, tenantID, query string, k int) ([]rag.Passage, error)
}

// Config configures an Engine. Only Store is required.
type Config struct {
	Store store.Store
	// Searcher finds passages; nil means an empty knowledge base.
	Searcher Searcher
	// LLM is the main model and SmallLLM the small one; nil means not
	// configured. Without any, answers are extractive.
	LLM, SmallLLM *LLMConfig
	// TopK is the number of passages retrieved per question (default 4).
	TopK int
	// Logger receives warnings about degraded service (default: discard).
	Logger *slog.Logger
	// Registerer receives the engine's metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// TracerProvider receives a span per reply, with its retrieval and
	// llm stages; nil traces nothing.
	TracerProvider trace.TracerProvider
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Engine answers chat and voice turns. It is safe for concurrent use.
type Engine struct {
	store    store.Store
	searcher Searcher
	main     *endpoint // nil when not configured
	small    *endpoint // nil when not configured
	topK     int
	log      *slog.Logger
	now      func() time.Time
	metrics  *metrics
	tracer   trace.Tracer
	// breakers skip an LLM for a while after consecutive failures, so a
	// dead server does not cost every turn its timeout.
	breakers *breaker.Set
}

// New checks cfg, fills its defaults and builds the engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, ErrNoStore
	}
	e := &Engine{store: cfg.Store, searcher: cfg.Searcher, topK: cfg.TopK,
		log: cfg.Logger, now: cfg.Now, tracer: newTracer(cfg.TracerProvider)}
	if e.topK <= 0 {
		e.topK = 4
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}

	var err error
	if cfg.LLM != nil {
		if e.main, err = newEndpoint(*cfg.LLM, "llm", ModeLLM); err != nil {
			return nil, fmt.Errorf("main llm: %w", err)
		}
	}
	if cfg.SmallLLM != nil {
		if e.small, err = newEndpoint(*cfg.SmallLLM, "small_llm", ModeSmallLLM); err != nil {
			return nil, fmt.Errorf("small llm: %w", err)
		}
		e.small.slot = 1
	}
	e.breakers = breaker.New(2, breaker.Config{Now: e.now})
	if e.metrics, err = newMetrics(cfg.Registerer); err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return e, nil
}

// turn is a validated request, split into its parts.
type turn struct {
	req        Request
	question   string    // the last user message
	history    []Message // user and assistant messages before it
	query      string    // what retrieval searches for
	standalone string    // the question as understood on its own
}

// Reply answers the last user message of req, streaming the answer's text
// through onDelta (which may be nil) as it is produced, and records the
// turn in the conversation store unless req.NoRecord is set.
//
// Reply fails before answering for an invalid request (ErrNoUserMessage,
// ErrEmptyMessage, ErrInvalidRole, ErrNoTenant), when ctx ends, or when
// onDelta returns an error. Model failures are not errors: the next step of
// the fallback chain answers instead. A store failure is returned as
// ErrNotRecorded after the answer was produced and streamed; the Result is
// then complete except that the turn was not (fully) recorded.
func (e *Engine) Reply(ctx context.Context, req Request, onDelta func(delta string) error) (Result, error) {
	start := e.now()
	ctx, span := e.startReplySpan(ctx, req, start)
	defer func() { span.End(trace.WithTimestamp(e.now())) }()
	t, err := newTurn(req)
	if err != nil {
		failSpan(span, "invalid request")
		return Result{}, err
	}
	if onDelta == nil {
		onDelta = func(string) error { return nil }
	}

	rctx, rspan := e.tracer.Start(ctx, SpanRetrieval, trace.WithTimestamp(start))
	e.standaloneQuestion(rctx, t)
	passages := e.retrieve(rctx, req.TenantID, t.query)
	retrieval := e.now().Sub(start)
	rspan.SetAttributes(attribute.Int("passages", len(passages)))
	rspan.End(trace.WithTimestamp(start.Add(retrieval)))

	ans, err := e.traceAnswer(ctx, t, passages, onDelta)
	if err != nil {
		failSpan(span, "no answer")
		return Result{}, err
	}
	e.metrics.replies.WithLabelValues(ans.mode).Inc()
	span.SetAttributes(attribute.String("mode", ans.mode))
	res := Result{Text: ans.text, Mode: ans.mode, FinishReason: ans.finish,
		Passages: ans.passages, PromptTokens: ans.promptTokens,
		CompletionTokens: ans.completionTokens}

	latency := map[string]float64{
		"retrieval":       millis(retrieval),
		"llm_first_token": millis(ans.firstToken),
		"total":           millis(e.now().Sub(start)),
	}
	res.Latency = latency
	if req.NoRecord {
		res.ConversationID = req.ConversationID
		return res, nil
	}
	res.ConversationID, err = e.record(ctx, t, res, latency)
	if err != nil {
		failSpan(span, "not recorded")
		return res, fmt.Errorf("%w: %w", ErrNotRecorded, err)
	}
	return res, nil
}

// newTurn validates req and separates the question from the history.
func newTurn(req Request) (*turn, error) {
	if req.TenantID == "" {
		return nil, ErrNoTenant
	}
	if len(req.Messages) == 0 || req.Messages[len(req.Messages)-1].Role != "user" {
		return nil, ErrNoUserMessage
	}
	last := req.Messages[len(req.Messages)-1]
	if strings.TrimSpace(last.Content) == "" {
		return nil, ErrEmptyMessage
	}

	t := &turn{req: req, question: strings.TrimSpace(last.Content)}
	for i, m := range req.Messages[:len(req.Messages)-1] {
		switch m.Role {
		case "user", "assistant":
			t.history = append(t.history, m)
		case "system":
		default:
			return nil, fmt.Errorf("messages[%d]: %w", i, ErrInvalidRole)
		}
	}
	if t.req.Channel == "" {
		t.req.Channel = "chat"
	}
	return t, nil
}

// retrieve searches the knowledge base. A failing search degrades to an
// answer without passages rather than failing the turn.
func (e *Engine) retrieve(ctx context.Context, tenantID, query string) []rag.Passage {
	if e.searcher == nil {
		return nil
	}
	passages, err := e.searcher.Search(ctx, tenantID, query, e.topK)
	if err != nil {
		e.log.Warn("retrieval failed, answering without passages",
			"tenant", tenantID, "err", err)
		return nil
	}
	return passages
}

func millis(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}
