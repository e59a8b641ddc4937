package dialog

import (
	"context"
	"encoding/json"

	"github.com/voiced/voiced/rag"
)

// Modes say how an answer was produced; they are stored with the turn and
// used as the label of dialog_replies_total.
const (
	// ModeLLM is an answer written by the main LLM.
	ModeLLM = "llm"
	// ModeSmallLLM is an answer written by the small LLM, either because
	// no main LLM is configured or because it failed before answering.
	ModeSmallLLM = "small_llm"
	// ModeExtractive is an answer cut from passages because no LLM is
	// configured.
	ModeExtractive = "extractive"
	// ModeFallback is an extractive answer given because every configured
	// LLM failed before answering.
	ModeFallback = "fallback"
)

// Answer styles of an Agent.
const (
	// StyleConcise asks for one to three plain sentences, fit for voice.
	StyleConcise = "concise"
	// StyleDetailed allows longer answers with lists, for text chat.
	StyleDetailed = "detailed"
)

// Agent is a tenant's configured assistant persona.
type Agent struct {
	// Name identifies the agent within its tenant.
	Name string
	// SystemPrompt is the tenant's own instruction for the model.
	SystemPrompt string
	// Greeting is what a voice call starts with.
	Greeting string
	// Language is the answer language ("English", "de"); empty lets the
	// model answer in the language of the question.
	Language string
	// Style is StyleConcise (the default) or StyleDetailed.
	Style string
	// TransferTarget is where a voice call is transferred when the caller
	// asks for a human (a SIP or tel URI, or a number); empty offers no
	// transfer.
	TransferTarget string
}

// Message is one message of a chat history, as OpenAI clients send it.
type Message struct {
	// Role is "user", "assistant" or "system". System messages are
	// ignored: the agent owns the system prompt.
	Role    string
	Content string
}

// Request is one user turn to answer.
type Request struct {
	TenantID string
	Agent    Agent
	// ConversationID optionally names the conversation to continue; when
	// it is empty or unknown, the conversation is recognised by the
	// fingerprint of the history.
	ConversationID string
	// Channel is "chat" (the default), "sip" or "web".
	Channel string
	// Messages is the history followed by the user's new message.
	Messages []Message
	// Tools are offered to the LLMs in addition to the built-in
	// search_knowledge_base tool (for example transfer or end call).
	Tools []Tool
	// NoRecord leaves recording the turn to the caller. The voice path
	// sets it: it stores only what the caller heard of the answer, with
	// timestamps aligned to the call's recording.
	NoRecord bool
}

// Result is the outcome of one Reply.
type Result struct {
	ConversationID string
	// Text is the whole answer, exactly the concatenation of the deltas.
	Text string
	// Mode is one of ModeLLM, ModeSmallLLM, ModeExtractive, ModeFallback.
	Mode string
	// FinishReason is "stop" or "length" (the model hit its token limit).
	FinishReason string
	// Passages are the retrieved passages the answer was based on,
	// including those found by the model through the search tool.
	Passages []rag.Passage
	// PromptTokens and CompletionTokens are the models' usage summed over
	// every request of the answer, or an estimate for extractive answers.
	PromptTokens     int
	CompletionTokens int
	// Latency holds the turn's stage durations in milliseconds
	// ("retrieval", "llm_first_token", "total"), as stored with the turn.
	Latency map[string]float64
}

// Tool is a function the LLM may call. Call's result text goes back to the
// model; an error is reported to the model as text, never to the user.
type Tool interface {
	// Name is the function name the model uses (letters, digits, _ and -).
	Name() string
	// Description tells the model when to use the tool.
	Description() string
	// Parameters is the JSON schema of the arguments object.
	Parameters() json.RawMessage
	// Call runs the tool with the model's JSON arguments.
	Call(ctx context.Context, args json.RawMessage) (string, error)
}
