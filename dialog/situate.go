package dialog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/voiced/voiced/rag"
)

// The engine writes the situating sentences of rag's ingestion.
var _ rag.Contextualizer = (*Engine)(nil)

// Situate writes one sentence that places chunk within its document, for
// contextual retrieval at ingestion; it implements rag.Contextualizer. It
// uses the small LLM, and only a local one, because the whole document is
// sent: without a local small LLM it returns ErrNoLLM.
func (e *Engine) Situate(ctx context.Context, title, document, chunk string) (string, error) {
	if e.small == nil {
		return "", ErrNoLLM
	}
	if !e.small.local() {
		return "", fmt.Errorf("%w: the small llm is external and documents stay local", ErrNoLLM)
	}

	req := buildChatRequest(e.small, purposeSituate, promptInput{title: title,
		document: document, chunk: chunk})
	text, err := e.small.complete(ctx, req)
	if err != nil {
		var le *LLMError
		if errors.As(err, &le) {
			e.metrics.llmErrors.WithLabelValues(e.small.name, le.kind).Inc()
		}
		return "", fmt.Errorf("situate chunk: %w", err)
	}
	return strings.Join(strings.Fields(text), " "), nil
}
