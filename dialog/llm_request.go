package dialog

import (
	"fmt"
	"strings"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/voiced/voiced/rag"
)

// purpose says why a request goes to a model; the egress policy and its
// ledger will key on it.
type purpose string

const (
	purposeAnswer   purpose = "answer"
	purposeCondense purpose = "condense"
	purposeSituate  purpose = "situate"
)

// recentHistory is how many history messages a local model sees.
const recentHistory = 6

// maxSituateDocument caps the document text sent for situating a chunk.
const maxSituateDocument = 24000

// promptInput is everything a request may draw from; buildChatRequest
// decides what of it is sent.
type promptInput struct {
	agent    Agent
	question string    // the user's last message as typed
	query    string    // the standalone (condensed) question
	history  []Message // earlier user and assistant messages
	passages []rag.Passage
	tools    []Tool

	title, document, chunk string // purposeSituate
}

// buildChatRequest is the only function that composes what is sent to a
// language model. The egress policy (redaction of personal data, the
// ledger of what left the building) will govern it, so nothing else may
// add content to a request, with one exception: the tool rounds of an
// answer append the model's own tool calls and the tools' results.
//
// By default an answer request carries the system prompt (the agent's
// prompt, style, language, and the instruction to answer only from the
// passages and otherwise say so and offer a person), the numbered
// passages, and the question. Only an endpoint whose locality is "local"
// also receives the recent history and the question as typed; an external
// one gets the standalone question alone. Condensing sends history, and
// situating sends a whole document, so both are only ever asked of a local
// endpoint (see standaloneQuestion and Situate).
func buildChatRequest(ep *endpoint, p purpose, in promptInput) openai.ChatCompletionRequest {
	var msgs []openai.ChatCompletionMessage
	switch p {
	case purposeAnswer:
		msgs = answerMessages(ep.local(), in)
	case purposeCondense:
		msgs = condenseMessages(in)
	case purposeSituate:
		msgs = situateMessages(in)
	}

	req := openai.ChatCompletionRequest{
		Model:       ep.cfg.Model,
		Messages:    msgs,
		MaxTokens:   ep.cfg.MaxTokens,
		Temperature: ep.cfg.Temperature,
	}
	if p != purposeAnswer {
		return req
	}
	req.Stream = true
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	for _, t := range in.tools {
		req.Tools = append(req.Tools, openai.Tool{Type: openai.ToolTypeFunction,
			Function: &openai.FunctionDefinition{Name: t.Name(),
				Description: t.Description(), Parameters: t.Parameters()}})
	}
	return req
}

// answerMessages composes the messages of an answer request.
func answerMessages(local bool, in promptInput) []openai.ChatCompletionMessage {
	msgs := []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleSystem,
		Content: systemPrompt(in.agent, in.passages, len(in.tools) > 0)}}
	if !local {
		return append(msgs, openai.ChatCompletionMessage{
			Role: openai.ChatMessageRoleUser, Content: in.query})
	}

	history := in.history
	if len(history) > recentHistory {
		history = history[len(history)-recentHistory:]
	}
	for _, m := range history {
		msgs = append(msgs, openai.ChatCompletionMessage{Role: m.Role, Content: m.Content})
	}
	return append(msgs, openai.ChatCompletionMessage{
		Role: openai.ChatMessageRoleUser, Content: in.question})
}

// systemPrompt writes the agent's instructions followed by the passages.
func systemPrompt(a Agent, passages []rag.Passage, tools bool) string {
	var b strings.Builder
	if a.SystemPrompt != "" {
		b.WriteString(strings.TrimSpace(a.SystemPrompt))
	} else {
		fmt.Fprintf(&b, "You are %s, a helpful assistant.", nonEmpty(a.Name, "an agent"))
	}
	b.WriteString("\n\n")

	if a.Style == StyleDetailed {
		b.WriteString("Answer completely but stay on topic; short paragraphs or lists are fine.\n")
	} else {
		b.WriteString("Answer in one to three short sentences of plain spoken language, " +
			"without lists or markdown, because the answer may be read aloud.\n")
	}
	if a.Language != "" {
		fmt.Fprintf(&b, "Answer in %s.\n", a.Language)
	} else {
		b.WriteString("Answer in the language of the question.\n")
	}
	b.WriteString("Answer only from the numbered passages below")
	if tools {
		b.WriteString(" and from what the search_knowledge_base tool returns")
	}
	b.WriteString(". If they do not cover the question, say that you do not know, " +
		"and offer to connect the user with a person from the team. " +
		"Never invent facts, prices, dates or numbers.\n\n")

	if len(passages) == 0 {
		b.WriteString("Passages: none found.")
		return b.String()
	}
	b.WriteString("Passages:")
	writePassages(&b, passages)
	return b.String()
}

// writePassages numbers passages with their title and heading.
func writePassages(b *strings.Builder, passages []rag.Passage) {
	for i, p := range passages {
		fmt.Fprintf(b, "\n\n[%d]", i+1)
		if label := strings.Trim(p.Title+" > "+p.Heading, " >"); label != "" {
			fmt.Fprintf(b, " %s", label)
		}
		fmt.Fprintf(b, "\n%s", strings.TrimSpace(p.Text))
	}
}

// condenseMessages asks for the follow-up rewritten as a standalone
// question.
func condenseMessages(in promptInput) []openai.ChatCompletionMessage {
	var b strings.Builder
	b.WriteString("Conversation:\n")
	history := in.history
	if len(history) > recentHistory {
		history = history[len(history)-recentHistory:]
	}
	for _, m := range history {
		fmt.Fprintf(&b, "%s: %s\n", m.Role, strings.TrimSpace(m.Content))
	}
	fmt.Fprintf(&b, "\nFollow-up: %s", in.question)
	return []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: "Rewrite the user's follow-up as one " +
			"standalone question that can be understood without the conversation. Keep its " +
			"language. Reply with the question only."},
		{Role: openai.ChatMessageRoleUser, Content: b.String()},
	}
}

// situateMessages asks for one sentence placing a chunk in its document.
func situateMessages(in promptInput) []openai.ChatCompletionMessage {
	doc := in.document
	if len(doc) > maxSituateDocument {
		doc = doc[:maxSituateDocument]
		for !utf8.ValidString(doc) {
			doc = doc[:len(doc)-1]
		}
	}
	user := fmt.Sprintf("<document title=%q>\n%s\n</document>\n\n<chunk>\n%s\n</chunk>\n\n"+
		"Write one short sentence that situates this chunk within the document, "+
		"to improve search retrieval of the chunk. Reply with the sentence only.",
		in.title, doc, in.chunk)
	return []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: user}}
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
