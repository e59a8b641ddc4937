package dialog

import (
	"context"
	"errors"
	"strings"
)

// maxQuestion caps a condensed question, in bytes.
const maxQuestion = 500

// standaloneQuestion works out what to search for and, with history, the
// question as it can be understood on its own. A local small LLM condenses
// a follow-up ("and on Sunday?") into a standalone question; without one
// the retrieval query is the follow-up plus the content words of the
// previous user message, and models see the follow-up as typed.
func (e *Engine) standaloneQuestion(ctx context.Context, t *turn) {
	t.query, t.standalone = t.question, t.question
	if len(t.history) == 0 {
		return
	}

	// Condensing sends the history, so only a local model may do it.
	if e.small != nil && e.small.local() {
		q, err := e.condense(ctx, t)
		if err == nil {
			t.query, t.standalone = q, q
			return
		}
		e.log.Warn("condensing the question failed, searching with keywords",
			"tenant", t.req.TenantID, "endpoint", e.small.name, "err", err)
	}
	t.query = keywordQuery(t.question, t.history)
}

// condense asks the small LLM for the standalone question. It waits no
// longer than the model's FirstTokenTimeout, because the whole answer
// waits for it.
func (e *Engine) condense(ctx context.Context, t *turn) (string, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, e.small.cfg.FirstTokenTimeout, ErrFirstTokenTimeout)
	defer cancel()

	req := buildChatRequest(e.small, purposeCondense, promptInput{agent: t.req.Agent,
		question: t.question, history: t.history})
	text, err := e.small.complete(ctx, req)
	if err != nil {
		var le *LLMError
		if errors.As(err, &le) {
			e.metrics.llmErrors.WithLabelValues(e.small.name, le.kind).Inc()
		}
		return "", err
	}

	for _, line := range strings.Split(text, "\n") {
		line = strings.Trim(strings.TrimSpace(line), `"'“”`)
		if line != "" {
			if len(line) > maxQuestion {
				line = line[:maxQuestion]
			}
			return line, nil
		}
	}
	return t.question, nil
}

// keywordQuery appends the content words of the previous user message to
// the follow-up, so that "and on Sunday?" still finds opening hours.
func keywordQuery(question string, history []Message) string {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Role != "user" {
			continue
		}
		words := contentWords(history[i].Content)
		if len(words) == 0 {
			return question
		}
		return question + " " + strings.Join(words, " ")
	}
	return question
}
