package dialog

import (
	"context"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/voiced/voiced/rag"
)

// Spans of the dialog package. A call's span holds one span per turn; a
// turn's span holds its endpoint_wait and asr stages as spans, the later
// stages as events, and the Engine's reply span when the Engine answered.
// Attributes carry identifiers, counts and durations, never what anyone
// said: no transcript, answer, passage or audio leaves through a trace.
const (
	// SpanCall is a voice call, from Run to its end.
	SpanCall = "call"
	// SpanTurn is something the agent said in a call: an answer, from the
	// caller's last speech to the end of what they heard of it, or a
	// prompt.
	SpanTurn = "turn"
	// SpanReply is one Engine.Reply, with SpanRetrieval and SpanLLM.
	SpanReply = "reply"
	// SpanRetrieval is finding the question's passages.
	SpanRetrieval = "retrieval"
	// SpanLLM is writing the answer: the models of the fallback chain,
	// then the extractive answer.
	SpanLLM = "llm"
	// EventFirstToken marks the first text of SpanLLM.
	EventFirstToken = "first_token"
)

// tracerName is the instrumentation scope of the package's spans.
const tracerName = "github.com/voiced/voiced/dialog"

// newTracer returns tp's tracer for the package, a no-op one for nil.
func newTracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(tracerName)
}

// durationMS is how stage events carry their duration.
func durationMS(d time.Duration) attribute.KeyValue {
	return attribute.Float64("duration_ms", millis(d))
}

// textLength is the length of a text in characters, what a span may say
// of it.
func textLength(key, text string) attribute.KeyValue {
	return attribute.Int(key, utf8.RuneCountInString(text))
}

// failSpan marks a span failed. The error's text is not recorded: it may
// quote what a model or a caller said.
func failSpan(span trace.Span, what string) {
	span.SetStatus(codes.Error, what)
}

// startReplySpan starts the span of one Reply.
func (e *Engine) startReplySpan(ctx context.Context, req Request,
	start time.Time) (context.Context, trace.Span) {
	channel := req.Channel
	if channel == "" {
		channel = "chat"
	}
	return e.tracer.Start(ctx, SpanReply, trace.WithTimestamp(start), trace.WithAttributes(
		attribute.String("tenant", req.TenantID), attribute.String("agent", req.Agent.Name),
		attribute.String("channel", channel), attribute.Int("messages", len(req.Messages))))
}

// traceAnswer runs answer in the llm span, which marks the first token
// and says which model answered, how and with how many tokens.
func (e *Engine) traceAnswer(ctx context.Context, t *turn, passages []rag.Passage,
	onDelta func(string) error) (answer, error) {
	start := e.now()
	ctx, span := e.tracer.Start(ctx, SpanLLM, trace.WithTimestamp(start))
	a, err := e.answer(ctx, t, passages, onDelta)
	if err != nil {
		failSpan(span, "no answer")
	}
	if a.firstToken > 0 {
		span.AddEvent(EventFirstToken, trace.WithTimestamp(start.Add(a.firstToken)),
			trace.WithAttributes(durationMS(a.firstToken)))
	}
	span.SetAttributes(attribute.String("mode", a.mode),
		attribute.String("finish_reason", a.finish),
		attribute.Int("prompt_tokens", a.promptTokens),
		attribute.Int("completion_tokens", a.completionTokens),
		textLength("answer_length", a.text))
	span.End(trace.WithTimestamp(e.now()))
	return a, err
}
