package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// wireToolCall is a tool call as the protocol writes it.
type wireToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// stream answers with server-sent events.
func stream(w http.ResponseWriter, r *http.Request, req Request, s Script) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	if !sleep(r, s.FirstTokenDelay) {
		return
	}

	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		flusher.Flush()
	}
	c := chunker{id: "chatcmpl-llmtest", model: req.Model, created: time.Now().Unix()}
	if s.AzureFilterChunk {
		send(map[string]any{"id": "", "object": "", "created": 0, "model": "",
			"choices": []any{}, "prompt_filter_results": []any{map[string]any{
				"prompt_index": 0, "content_filter_results": map[string]any{
					"hate": map[string]any{"filtered": false, "severity": "safe"}}}}})
	}
	send(c.delta(map[string]any{"role": "assistant", "content": ""}))
	field := nonEmpty(s.ReasoningField, "reasoning")
	for _, r := range s.Reasoning {
		send(c.delta(map[string]any{field: r}))
	}

	content := s.content()
	for i, d := range content {
		if fault(w, flusher, s, i) {
			return
		}
		send(c.delta(map[string]any{"content": d}))
		if s.NoDeltaChunks {
			send(c.choice(map[string]any{"index": 0, "finish_reason": nil}))
		}
	}
	if fault(w, flusher, s, len(content)) {
		return
	}
	for i, tc := range s.ToolCalls {
		for _, d := range toolCallDeltas(i, tc, s.SplitToolCalls) {
			send(c.delta(map[string]any{"tool_calls": []wireToolCall{d}}))
		}
	}

	send(c.choice(map[string]any{"index": 0, "delta": map[string]any{},
		"finish_reason": s.finish()}))
	if req.IncludeUsage {
		u := c.base()
		u["choices"] = []any{}
		u["usage"] = usage(s, len(content))
		send(u)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	flusher.Flush()
}

// fault sends the script's failure if it is due after n content deltas,
// and reports whether it did.
func fault(w http.ResponseWriter, flusher http.Flusher, s Script, n int) bool {
	at := func(after int) bool { return after == n || (after == -1 && n == 0) }
	switch {
	case s.StreamErrorAfter != 0 && at(s.StreamErrorAfter):
		b, _ := json.Marshal(map[string]any{"error": map[string]any{
			"message": nonEmpty(s.ErrorMessage, "internal error"),
			"type":    "internal_error", "code": 500}})
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", b)
		flusher.Flush()
		return true
	case s.DisconnectAfter != 0 && at(s.DisconnectAfter):
		flusher.Flush()
		panic(http.ErrAbortHandler)
	}
	return false
}

// toolCallDeltas writes one call as a single delta, or as a header and
// argument pieces keyed by index.
func toolCallDeltas(i int, tc ToolCall, split bool) []wireToolCall {
	head := wireToolCall{Index: &i, ID: nonEmpty(tc.ID, fmt.Sprintf("call_%d", i)), Type: "function"}
	head.Function.Name = tc.Name
	if !split {
		head.Function.Arguments = tc.Arguments
		return []wireToolCall{head}
	}
	out := []wireToolCall{head}
	for _, p := range pieces(tc.Arguments) {
		d := wireToolCall{Index: &i}
		d.Function.Arguments = p
		out = append(out, d)
	}
	return out
}

// whole is the non-streaming answer.
func whole(req Request, s Script) map[string]any {
	content := s.content()
	text := ""
	for _, d := range content {
		text += d
	}
	msg := map[string]any{"role": "assistant", "content": text}
	var calls []wireToolCall
	for i, tc := range s.ToolCalls {
		calls = append(calls, toolCallDeltas(i, tc, false)...)
	}
	if calls != nil {
		msg["tool_calls"] = calls
	}
	c := chunker{id: "chatcmpl-llmtest", model: req.Model, created: time.Now().Unix()}
	out := c.base()
	out["object"] = "chat.completion"
	out["choices"] = []any{map[string]any{"index": 0, "message": msg,
		"finish_reason": s.finish()}}
	out["usage"] = usage(s, len(content))
	return out
}

// chunker writes chat.completion.chunk objects of one answer.
type chunker struct {
	id, model string
	created   int64
}

func (c chunker) base() map[string]any {
	return map[string]any{"id": c.id, "object": "chat.completion.chunk",
		"created": c.created, "model": c.model}
}

func (c chunker) choice(choice map[string]any) map[string]any {
	m := c.base()
	m["choices"] = []any{choice}
	return m
}

func (c chunker) delta(delta map[string]any) map[string]any {
	return c.choice(map[string]any{"index": 0, "delta": delta, "finish_reason": nil})
}

func usage(s Script, deltas int) map[string]int {
	p, c := s.PromptTokens, s.CompletionTokens
	if p == 0 {
		p = 10
	}
	if c == 0 {
		c = deltas
	}
	return map[string]int{"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
}

// sleep waits d unless the client goes away first, reporting whether the
// wait completed.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// writeError answers with an OpenAI error object.
func writeError(w http.ResponseWriter, status int, message string) {
	typ := "invalid_request_error"
	if status >= 500 {
		typ = "server_error"
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"message": message, "type": typ, "param": nil, "code": status}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
