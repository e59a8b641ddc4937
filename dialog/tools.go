package dialog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	openai "github.com/sashabaranov/go-openai"

	"github.com/voiced/voiced/rag"
)

// maxToolRounds is how many times one answer may go back to the model
// with tool results; the request after the last round offers no tools.
const maxToolRounds = 3

// toolCallDelta is one streamed piece of a tool call. vLLM sends a call in
// pieces keyed by index, concatenating function.arguments; Ollama sends
// each call whole, sometimes without an index.
type toolCallDelta struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// toolCallAccumulator joins tool call pieces into whole calls.
type toolCallAccumulator struct {
	calls []openai.ToolCall
	slot  map[int]int // stream index → position in calls
}

// add merges the pieces of one delta.
func (a *toolCallAccumulator) add(deltas []toolCallDelta) {
	if a.slot == nil {
		a.slot = map[int]int{}
	}
	for _, d := range deltas {
		pos, known := -1, false
		if d.Index != nil {
			pos, known = a.slot[*d.Index]
		}
		// A new id at a known index is a new call from a server that
		// numbers every whole call 0.
		if known && d.ID != "" && a.calls[pos].ID != "" && a.calls[pos].ID != d.ID {
			known = false
		}
		if !known {
			a.calls = append(a.calls, openai.ToolCall{Type: openai.ToolTypeFunction})
			pos = len(a.calls) - 1
			if d.Index != nil {
				a.slot[*d.Index] = pos
			}
		}
		c := &a.calls[pos]
		if d.ID != "" {
			c.ID = d.ID
		}
		c.Function.Name += d.Function.Name
		c.Function.Arguments += d.Function.Arguments
	}
}

// result returns the complete calls, giving an id to those without one.
func (a *toolCallAccumulator) result() []openai.ToolCall {
	for i := range a.calls {
		if a.calls[i].ID == "" {
			a.calls[i].ID = fmt.Sprintf("call_%d", i)
		}
	}
	return a.calls
}

// runTool executes one call. Every failure becomes result text for the
// model: an unknown tool, arguments that are not JSON, or the tool's error.
func runTool(ctx context.Context, tools []Tool, call openai.ToolCall) string {
	args := strings.TrimSpace(call.Function.Arguments)
	if args == "" {
		args = "{}"
	}
	for _, t := range tools {
		if t.Name() != call.Function.Name {
			continue
		}
		if !json.Valid([]byte(args)) {
			return fmt.Sprintf("error: the arguments of %s are not valid JSON: %s",
				call.Function.Name, args)
		}
		out, err := t.Call(ctx, json.RawMessage(args))
		if err != nil {
			return fmt.Sprintf("error: %s failed: %v", call.Function.Name, err)
		}
		return out
	}
	return fmt.Sprintf("error: there is no tool named %q", call.Function.Name)
}

// searchTool is the built-in search_knowledge_base tool. It remembers
// what it found, so that the answer's sources include it.
type searchTool struct {
	searcher Searcher
	tenantID string
	k        int

	mu    sync.Mutex // guards found
	found []rag.Passage
}

func (s *searchTool) Name() string { return "search_knowledge_base" }

func (s *searchTool) Description() string {
	return "Search the knowledge base for passages about a topic. Use it when the " +
		"passages you were given do not answer the question."
}

func (s *searchTool) Parameters() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{"query":{"type":"string",` +
		`"description":"what to look for, as a short question or keywords"}},` +
		`"required":["query"]}`)
}

func (s *searchTool) Call(ctx context.Context, args json.RawMessage) (string, error) {
	var in struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(args, &in); err != nil {
		return "", fmt.Errorf("decode arguments: %w", err)
	}
	if strings.TrimSpace(in.Query) == "" {
		return "", fmt.Errorf("query is empty")
	}
	if s.searcher == nil {
		return "No passages found.", nil
	}
	passages, err := s.searcher.Search(ctx, s.tenantID, in.Query, s.k)
	if err != nil {
		return "", fmt.Errorf("search: %w", err)
	}
	if len(passages) == 0 {
		return "No passages found.", nil
	}

	s.mu.Lock()
	s.found = append(s.found, passages...)
	s.mu.Unlock()
	var b strings.Builder
	b.WriteString("Passages:")
	writePassages(&b, passages)
	return b.String(), nil
}

// mergePassages appends the passages of extra not already in base.
func mergePassages(base, extra []rag.Passage) []rag.Passage {
	seen := map[string]bool{}
	key := func(p rag.Passage) string { return fmt.Sprintf("%d\x00%s\x00%s", p.ChunkID, p.Source, p.Text) }
	for _, p := range base {
		seen[key(p)] = true
	}
	for _, p := range extra {
		if !seen[key(p)] {
			seen[key(p)] = true
			base = append(base, p)
		}
	}
	return base
}
