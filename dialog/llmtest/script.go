package llmtest

import (
	"strings"
	"time"
)

// Script says how the server answers one request. The zero Script answers
// "OK." and stops.
type Script struct {
	// Text is the answer, sent in deltas of about a word each unless
	// Deltas is set.
	Text string
	// Deltas is the answer's content, one delta per element.
	Deltas []string
	// Reasoning deltas are sent before the content, in the field named
	// by ReasoningField ("reasoning" by default, or "reasoning_content").
	Reasoning      []string
	ReasoningField string
	// ToolCalls are sent after the content, and the finish reason becomes
	// "tool_calls". With SplitToolCalls each call's arguments arrive in
	// several pieces keyed by index, as vLLM sends them; otherwise each
	// call is whole in one chunk, as Ollama sends it.
	ToolCalls      []ToolCall
	SplitToolCalls bool
	// FinishReason overrides the finish reason ("stop" or "tool_calls").
	FinishReason string
	// AzureFilterChunk sends Azure's first chunk: empty choices with
	// prompt_filter_results.
	AzureFilterChunk bool
	// NoDeltaChunks interleaves chunks whose choice has no delta.
	NoDeltaChunks bool

	// Status, when set, answers with this HTTP status and an OpenAI error
	// body carrying ErrorMessage instead of a completion.
	Status       int
	ErrorMessage string
	// FirstTokenDelay waits after the response headers before the first
	// chunk (or before the error status, when Status is set).
	FirstTokenDelay time.Duration
	// StreamErrorAfter, when positive, sends an error event
	// (data: {"error":{...}}) with ErrorMessage after that many content
	// deltas instead of the rest; DisconnectAfter cuts the connection
	// there instead. Use -1 for "before the first content delta".
	StreamErrorAfter int
	DisconnectAfter  int
	// PromptTokens and CompletionTokens are reported as usage (default:
	// 10 and the number of content deltas).
	PromptTokens, CompletionTokens int
}

// ToolCall is a function call the script makes.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string
}

// Reply returns a Script answering text.
func Reply(text string) Script { return Script{Text: text} }

// Fail returns a Script answering with an HTTP error status.
func Fail(status int, message string) Script {
	return Script{Status: status, ErrorMessage: message}
}

// content returns the script's content deltas.
func (s Script) content() []string {
	if s.Deltas != nil {
		return s.Deltas
	}
	text := s.Text
	if text == "" && len(s.ToolCalls) == 0 {
		text = "OK."
	}
	return words(text)
}

// finish returns the finish reason to send.
func (s Script) finish() string {
	switch {
	case s.FinishReason != "":
		return s.FinishReason
	case len(s.ToolCalls) > 0:
		return "tool_calls"
	}
	return "stop"
}

// words cuts text into deltas of one word with its following space.
func words(text string) []string {
	var out []string
	for text != "" {
		i := strings.IndexByte(text, ' ')
		if i < 0 {
			return append(out, text)
		}
		out = append(out, text[:i+1])
		text = text[i+1:]
	}
	return out
}

// pieces cuts s into about three parts, for split tool call arguments.
func pieces(s string) []string {
	if len(s) < 3 {
		return []string{s}
	}
	n := len(s) / 3
	return []string{s[:n], s[n : 2*n], s[2*n:]}
}
