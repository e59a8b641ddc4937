package dialog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// streamChunk is one server-sent event of a chat completion stream, read
// leniently: every field may be missing (protocols.md, section 4).
type streamChunk struct {
	Object  string `json:"object"`
	Message string `json:"message"` // old vLLM errors: {"object":"error","message":...}
	Code    any    `json:"code"`
	Choices []struct {
		Delta        *chunkDelta `json:"delta"`
		FinishReason *string     `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error *struct {
		Message string `json:"message"`
		Code    any    `json:"code"`
	} `json:"error"`
}

// chunkDelta is a choice's delta. Reasoning text (delta.reasoning or
// delta.reasoning_content) is read only to know the model is alive; it is
// never emitted.
type chunkDelta struct {
	Content          string          `json:"content"`
	Reasoning        string          `json:"reasoning"`
	ReasoningContent string          `json:"reasoning_content"`
	ToolCalls        []toolCallDelta `json:"tool_calls"`
}

// roundResult is what one streamed request produced besides its text.
type roundResult struct {
	finish           string
	calls            []openai.ToolCall
	promptTokens     int
	completionTokens int
}

// output delivers an answer's text to the caller and remembers it.
type output struct {
	onDelta    func(string) error
	started    time.Time
	now        func() time.Time
	text       string
	firstToken time.Duration
	err        error // set when onDelta failed: the answer must stop
}

// emit passes one delta on.
func (o *output) emit(delta string) error {
	if delta == "" {
		return nil
	}
	if o.text == "" {
		o.firstToken = o.now().Sub(o.started)
	}
	o.text += delta
	if err := o.onDelta(delta); err != nil {
		o.err = fmt.Errorf("deliver answer: %w", err)
		return o.err
	}
	return nil
}

// emitted reports whether any text reached the caller.
func (o *output) emitted() bool { return o.text != "" }

// streamOnce sends one streaming request and relays its content to out.
// It bounds the request by the endpoint's Timeout and the wait for the
// first token (content, reasoning or a tool call) by FirstTokenTimeout.
func (e *Engine) streamOnce(ctx context.Context, ep *endpoint, req openai.ChatCompletionRequest,
	out *output) (roundResult, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, ep.cfg.Timeout, ErrLLMTimeout)
	defer cancel()
	ctx, cancelFirst := context.WithCancelCause(ctx)
	defer cancelFirst(nil)
	firstTimer := time.AfterFunc(ep.cfg.FirstTokenTimeout, func() { cancelFirst(ErrFirstTokenTimeout) })
	defer firstTimer.Stop()
	sent := e.now()

	stream, err := ep.client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return roundResult{}, ep.wrapErr(ctx, err)
	}
	defer stream.Close()

	var r roundResult
	var calls toolCallAccumulator
	gotFirst := false
	for {
		raw, err := stream.RecvRaw()
		if errors.Is(err, io.EOF) && r.finish != "" {
			break
		}
		if err != nil {
			return r, ep.wrapStreamErr(ctx, err)
		}

		var c streamChunk
		if err := json.Unmarshal(raw, &c); err != nil {
			return r, ep.streamErr(0, fmt.Sprintf("decode chunk: %v", err), err)
		}
		if err := ep.chunkErr(c); err != nil {
			return r, err
		}
		if c.Usage != nil {
			r.promptTokens, r.completionTokens = c.Usage.PromptTokens, c.Usage.CompletionTokens
		}
		if len(c.Choices) == 0 {
			continue // usage chunk, Azure's prompt filter results
		}
		ch := c.Choices[0]
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			r.finish = *ch.FinishReason
		}
		d := ch.Delta
		if d == nil {
			continue
		}

		if !gotFirst && (d.Content != "" || d.Reasoning != "" || d.ReasoningContent != "" ||
			len(d.ToolCalls) > 0) {
			if !firstTimer.Stop() {
				return r, ep.wrapErr(ctx, context.Cause(ctx))
			}
			gotFirst = true
			e.metrics.firstToken.WithLabelValues(ep.name).Observe(e.now().Sub(sent).Seconds())
		}
		calls.add(d.ToolCalls)
		if err := out.emit(d.Content); err != nil {
			return r, err
		}
	}
	r.calls = calls.result()
	return r, nil
}

// wrapStreamErr classifies an error that ended a running stream. Only
// timeouts keep their own kind; anything else, whatever status an in-stream
// error names, is a broken stream, which is not retried.
func (ep *endpoint) wrapStreamErr(ctx context.Context, err error) *LLMError {
	if errors.Is(err, io.EOF) {
		return ep.streamErr(0, errStreamEnded.Error(), errStreamEnded)
	}
	le := ep.wrapErr(ctx, err)
	if le.kind != kindTimeout && le.kind != kindFirstTokenTimeout {
		le.kind = kindStream
	}
	return le
}

// chunkErr recognises an error event in the stream, in both its current
// ({"error":{...}}) and its old vLLM ({"object":"error",...}) form.
func (ep *endpoint) chunkErr(c streamChunk) *LLMError {
	switch {
	case c.Error != nil:
		return ep.streamErr(codeStatus(c.Error.Code), nonEmpty(c.Error.Message, "error event"), nil)
	case c.Object == "error":
		return ep.streamErr(codeStatus(c.Code), nonEmpty(c.Message, "error event"), nil)
	}
	return nil
}
