package dialog

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/voiced/voiced/dialog/llmtest"
)

func TestReplyStreamsFromMainLLM(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Script{Text: "We open at 10 on Saturday.", PromptTokens: 42, CompletionTokens: 7})
	h := newHarness(t, llmConfig(srv, "external"), nil)

	res, deltas := h.reply(t, ask("When do you open on Saturday?"))
	if res.Text != "We open at 10 on Saturday." || res.Mode != ModeLLM || res.FinishReason != "stop" {
		t.Errorf("got %q mode %q finish %q, want the scripted text from the llm with stop",
			res.Text, res.Mode, res.FinishReason)
	}
	if len(deltas) < 3 {
		t.Errorf("got %d deltas, want the answer streamed in several", len(deltas))
	}
	if res.PromptTokens != 42 || res.CompletionTokens != 7 {
		t.Errorf("got usage %d/%d, want 42/7 from the usage chunk", res.PromptTokens, res.CompletionTokens)
	}
	if len(res.Passages) == 0 || res.Passages[0].Source != "hours.md" {
		t.Errorf("got passages %+v, want hours.md first", res.Passages)
	}

	req := srv.Requests()[0]
	if !req.Stream || !req.IncludeUsage {
		t.Errorf("got stream %v include_usage %v, want both", req.Stream, req.IncludeUsage)
	}
	if got := req.Header.Get("Authorization"); got != "Bearer sk-test" {
		t.Errorf("got Authorization %q, want the bearer key", got)
	}
	if len(req.Tools) != 1 || req.Tools[0].Name != "search_knowledge_base" {
		t.Errorf("got tools %+v, want search_knowledge_base", req.Tools)
	}
	if len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.Messages[1].Role != "user" {
		t.Fatalf("got messages %+v, want system and user", req.Messages)
	}
	sys := req.Messages[0].Content
	for _, want := range []string{"[1] Opening hours", "On Saturday we open from 10 to 2.",
		"connect the user with a person", "one to three short sentences"} {
		if !strings.Contains(sys, want) {
			t.Errorf("got system prompt %q, want it to contain %q", sys, want)
		}
	}
}

func TestReplySkipsEmptyChoicesAndChunksWithoutDelta(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Script{Text: "Parking is free.", AzureFilterChunk: true, NoDeltaChunks: true})
	h := newHarness(t, llmConfig(srv, "local"), nil)

	res, _ := h.reply(t, ask("Is parking free?"))
	if res.Text != "Parking is free." || res.Mode != ModeLLM {
		t.Errorf("got %q mode %q, want %q from the llm", res.Text, res.Mode, "Parking is free.")
	}
}

func TestReplyNeverEmitsReasoning(t *testing.T) {
	for _, field := range []string{"reasoning", "reasoning_content"} {
		t.Run(field, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.Enqueue(llmtest.Script{Text: "Yes, it is free.", ReasoningField: field,
				Reasoning: []string{"The user asks ", "about parking. SECRET"}})
			h := newHarness(t, llmConfig(srv, "local"), nil)

			res, deltas := h.reply(t, ask("Is parking free?"))
			if res.Text != "Yes, it is free." {
				t.Errorf("got %q, want %q", res.Text, "Yes, it is free.")
			}
			for _, d := range deltas {
				if strings.Contains(d, "SECRET") || strings.Contains(d, "The user asks") {
					t.Errorf("got delta %q, want no reasoning text", d)
				}
			}
		})
	}
}

func TestReplyFinishLength(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Script{Text: "We open at", FinishReason: "length"})
	h := newHarness(t, llmConfig(srv, "local"), nil)

	res, _ := h.reply(t, ask("When do you open?"))
	if res.FinishReason != "length" {
		t.Errorf("got finish %q, want length", res.FinishReason)
	}
}

func TestReplyRunsToolCalls(t *testing.T) {
	tests := []struct {
		name  string
		split bool
	}{
		{"split by index like vLLM", true},
		{"whole like Ollama", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.Enqueue(
				llmtest.Script{SplitToolCalls: tc.split, ToolCalls: []llmtest.ToolCall{
					{ID: "call_a", Name: "search_knowledge_base", Arguments: `{"query":"car park"}`}}},
				llmtest.Reply("The car park is behind the building."))
			h := newHarness(t, llmConfig(srv, "external"), nil)

			res, _ := h.reply(t, ask("Where can I leave my vehicle?"))
			if res.Text != "The car park is behind the building." {
				t.Errorf("got %q, want the second round's answer", res.Text)
			}
			if srv.Count() != 2 {
				t.Fatalf("got %d requests, want 2", srv.Count())
			}
			msgs := srv.Requests()[1].Messages
			if len(msgs) != 4 {
				t.Fatalf("got %d messages in round two, want 4: %+v", len(msgs), msgs)
			}
			call := msgs[2]
			if call.Role != "assistant" || len(call.ToolCalls) != 1 ||
				call.ToolCalls[0].Arguments != `{"query":"car park"}` {
				t.Errorf("got %+v, want the assistant's whole tool call", call)
			}
			result := msgs[3]
			if result.Role != "tool" || result.ToolCallID != "call_a" ||
				!strings.Contains(result.Content, "behind the building") {
				t.Errorf("got %+v, want the tool result with the parking passage", result)
			}
			if !hasSource(res, "parking.md") {
				t.Errorf("got passages %+v, want parking.md found by the tool", res.Passages)
			}
		})
	}
}

func TestReplyToolErrorsGoBackToModel(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(
		llmtest.Script{ToolCalls: []llmtest.ToolCall{
			{Name: "no_such_tool", Arguments: `{}`},
			{Name: "search_knowledge_base", Arguments: `{"query":`},
			{Name: "transfer", Arguments: `{"to":"sales"}`}}},
		llmtest.Reply("I will transfer you."))
	h := newHarness(t, llmConfig(srv, "local"), nil)
	transfer := &recordingTool{}
	req := ask("Can I talk to sales?")
	req.Tools = []Tool{transfer}

	res, _ := h.reply(t, req)
	if res.Text != "I will transfer you." {
		t.Errorf("got %q, want the second round's answer", res.Text)
	}
	msgs := srv.Requests()[1].Messages
	results := map[string]string{}
	for _, m := range msgs {
		if m.Role == "tool" {
			results[m.Name] = m.Content
		}
	}
	if !strings.Contains(results["no_such_tool"], "error: there is no tool") {
		t.Errorf("got %q, want an unknown tool error", results["no_such_tool"])
	}
	if !strings.Contains(results["search_knowledge_base"], "not valid JSON") {
		t.Errorf("got %q, want an invalid JSON error", results["search_knowledge_base"])
	}
	if results["transfer"] != "transferring to sales" || string(transfer.args) != `{"to":"sales"}` {
		t.Errorf("got %q with args %s, want the request tool called", results["transfer"], transfer.args)
	}
}

func TestReplyStopsToolRoundsAfterThree(t *testing.T) {
	srv := llmtest.NewServer(t)
	loop := llmtest.Script{ToolCalls: []llmtest.ToolCall{
		{Name: "search_knowledge_base", Arguments: `{"query":"parking"}`}}}
	srv.Enqueue(loop, loop, loop, llmtest.Reply("Parking is free."))
	h := newHarness(t, llmConfig(srv, "local"), nil)

	res, _ := h.reply(t, ask("Is parking free?"))
	if res.Text != "Parking is free." || srv.Count() != 4 {
		t.Errorf("got %q after %d requests, want the answer after 4", res.Text, srv.Count())
	}
	if tools := srv.Requests()[3].Tools; len(tools) != 0 {
		t.Errorf("got %d tools in the last request, want none", len(tools))
	}
}

func TestReplyAzure(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.RequireKey("az-key")
	srv.Enqueue(llmtest.Script{Text: "Parking is free.", AzureFilterChunk: true})
	cfg := &LLMConfig{BaseURL: srv.Endpoint, Model: "gpt-4o-eu", APIKey: "az-key", Azure: true,
		Locality: "external", Region: "eu"}
	h := newHarness(t, cfg, nil)

	res, _ := h.reply(t, ask("Is parking free?"))
	if res.Text != "Parking is free." {
		t.Errorf("got %q, want %q", res.Text, "Parking is free.")
	}
	req := srv.Requests()[0]
	if req.Deployment != "gpt-4o-eu" || req.APIVersion != "2024-10-21" {
		t.Errorf("got deployment %q api-version %q, want gpt-4o-eu and 2024-10-21",
			req.Deployment, req.APIVersion)
	}
	if got := req.Header.Get("api-key"); got != "az-key" {
		t.Errorf("got api-key %q, want az-key", got)
	}
}

func TestReplyValidates(t *testing.T) {
	h := newHarness(t, nil, nil)
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"no messages", Request{TenantID: "acme"}, ErrNoUserMessage},
		{"assistant last", Request{TenantID: "acme", Messages: []Message{{Role: "assistant", Content: "hi"}}},
			ErrNoUserMessage},
		{"empty", Request{TenantID: "acme", Messages: []Message{{Role: "user", Content: "  "}}}, ErrEmptyMessage},
		{"bad role", Request{TenantID: "acme", Messages: []Message{{Role: "tool", Content: "x"},
			{Role: "user", Content: "hi"}}}, ErrInvalidRole},
		{"no tenant", Request{Messages: []Message{{Role: "user", Content: "hi"}}}, ErrNoTenant},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.engine.Reply(context.Background(), tc.req, nil)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestReplyStopsWhenDeliveryFails(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply("We open at ten."))
	h := newHarness(t, llmConfig(srv, "local"), nil)
	gone := errors.New("client gone")

	_, err := h.engine.Reply(context.Background(), ask("When do you open?"),
		func(string) error { return gone })
	if !errors.Is(err, gone) {
		t.Errorf("got %v, want the delivery error", err)
	}
}

// recordingTool is a request tool that remembers its arguments.
type recordingTool struct{ args json.RawMessage }

func (r *recordingTool) Name() string        { return "transfer" }
func (r *recordingTool) Description() string { return "Transfer the caller to a team." }
func (r *recordingTool) Parameters() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{"to":{"type":"string"}}}`)
}

func (r *recordingTool) Call(_ context.Context, args json.RawMessage) (string, error) {
	r.args = args
	var in struct{ To string }
	json.Unmarshal(args, &in)
	return "transferring to " + in.To, nil
}

func hasSource(res Result, source string) bool {
	for _, p := range res.Passages {
		if p.Source == source {
			return true
		}
	}
	return false
}
