package dialog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/voiced/voiced/rag"
)

// answer is a produced answer before it becomes a Result.
type answer struct {
	text, mode, finish string
	passages           []rag.Passage
	promptTokens       int
	completionTokens   int
	firstToken         time.Duration
}

// chain lists the configured models in fallback order.
func (e *Engine) chain() []*endpoint {
	var eps []*endpoint
	for _, ep := range []*endpoint{e.main, e.small} {
		if ep != nil {
			eps = append(eps, ep)
		}
	}
	return eps
}

// answer walks the fallback chain: each model is tried in turn until one
// answers; a model that fails after part of its answer reached the caller
// ends the chain with that part. The extractive answer closes the chain.
func (e *Engine) answer(ctx context.Context, t *turn, passages []rag.Passage,
	onDelta func(string) error) (answer, error) {
	out := &output{onDelta: onDelta, started: e.now(), now: e.now}
	chain := e.chain()
	for i, ep := range chain {
		if !e.breakers.Allowed(ep.slot) {
			e.metrics.fallbacks.WithLabelValues(ep.name, "skipped").Inc()
			continue
		}
		a, err := e.generate(ctx, ep, t, passages, out)
		if err == nil {
			e.breakers.Record(ep.slot, true)
			return a, nil
		}
		if out.err != nil {
			return answer{}, out.err
		}
		if ctx.Err() != nil {
			return answer{}, fmt.Errorf("answer: %w", context.Cause(ctx))
		}
		e.breakers.Record(ep.slot, false)
		if out.emitted() {
			e.log.Warn("llm failed mid-answer, keeping the partial answer",
				"tenant", t.req.TenantID, "endpoint", ep.name, "err", err)
			e.metrics.fallbacks.WithLabelValues(ep.name, "partial").Inc()
			a.text, a.finish, a.firstToken = out.text, "stop", out.firstToken
			return a, nil
		}

		next := ModeExtractive
		if i+1 < len(chain) {
			next = chain[i+1].name
		}
		e.log.Warn("llm failed, falling back", "tenant", t.req.TenantID,
			"endpoint", ep.name, "next", next, "err", err)
		e.metrics.fallbacks.WithLabelValues(ep.name, next).Inc()
	}

	a, err := e.extractive(t.question, passages, out)
	if err != nil {
		return answer{}, err
	}
	if len(chain) > 0 {
		a.mode = ModeFallback
	}
	return a, nil
}

// generate produces an answer with one model, running tool rounds until
// the model answers in text. The main LLM is offered the built-in
// search_knowledge_base tool and the request's tools; the small LLM only
// the request's tools, since small models use tools poorly and it answers
// when speed matters most.
func (e *Engine) generate(ctx context.Context, ep *endpoint, t *turn, passages []rag.Passage,
	out *output) (answer, error) {
	search := &searchTool{searcher: e.searcher, tenantID: t.req.TenantID, k: e.topK}
	tools := e.validTools(t.req.Tools)
	if ep == e.main {
		tools = append([]Tool{search}, tools...)
	}
	req := buildChatRequest(ep, purposeAnswer, promptInput{agent: t.req.Agent,
		question: t.question, query: t.standalone, history: t.history,
		passages: passages, tools: tools})

	a := answer{mode: ep.mode, finish: "stop"}
	for round := 0; ; round++ {
		if round == maxToolRounds {
			req.Tools = nil
		}
		before := len(out.text)
		r, err := e.streamWithRetry(ctx, ep, req, out)
		a.promptTokens += r.promptTokens
		a.completionTokens += r.completionTokens
		a.passages = mergePassages(append([]rag.Passage(nil), passages...), search.found)
		if err != nil {
			return a, err
		}

		if len(r.calls) > 0 && round < maxToolRounds {
			req.Messages = append(req.Messages, openai.ChatCompletionMessage{
				Role: openai.ChatMessageRoleAssistant, Content: out.text[before:],
				ToolCalls: r.calls})
			for _, c := range r.calls {
				req.Messages = append(req.Messages, openai.ChatCompletionMessage{
					Role: openai.ChatMessageRoleTool, ToolCallID: c.ID,
					Name: c.Function.Name, Content: runTool(ctx, tools, c)})
			}
			continue
		}
		if !out.emitted() {
			e.metrics.llmErrors.WithLabelValues(ep.name, kindStream).Inc()
			return a, ep.streamErr(0, errEmptyAnswer.Error(), errEmptyAnswer)
		}
		if r.finish == "length" {
			a.finish = "length"
		}
		a.text, a.firstToken = out.text, out.firstToken
		return a, nil
	}
}

// streamWithRetry runs one request, repeating it once after a refused
// connection or a 5xx answer when no text of it was delivered yet.
func (e *Engine) streamWithRetry(ctx context.Context, ep *endpoint, req openai.ChatCompletionRequest,
	out *output) (roundResult, error) {
	before := len(out.text)
	for attempt := 0; ; attempt++ {
		r, err := e.streamOnce(ctx, ep, req, out)
		if err == nil {
			return r, nil
		}
		var le *LLMError
		if !errors.As(err, &le) {
			return r, err
		}
		e.metrics.llmErrors.WithLabelValues(ep.name, le.kind).Inc()
		if attempt > 0 || !le.Retryable() || len(out.text) > before || ctx.Err() != nil {
			return r, err
		}
		e.log.Debug("retrying llm", "endpoint", ep.name, "err", err)
	}
}

// validTools drops request tools that cannot be offered to a model.
func (e *Engine) validTools(tools []Tool) []Tool {
	var ok []Tool
	for _, t := range tools {
		if t == nil || t.Name() == "" || !json.Valid(t.Parameters()) {
			e.log.Warn("tool skipped: it needs a name and a JSON schema")
			continue
		}
		ok = append(ok, t)
	}
	return ok
}
