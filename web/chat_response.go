package web

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/voiced/voiced/dialog"
)

// completion holds what every response object of one request shares.
type completion struct {
	id      string
	created int64
	model   string
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func usageOf(res dialog.Result) *usage {
	return &usage{
		PromptTokens:     res.PromptTokens,
		CompletionTokens: res.CompletionTokens,
		TotalTokens:      res.PromptTokens + res.CompletionTokens,
	}
}

type wholeResponse struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []wholeChoice `json:"choices"`
	Usage   *usage        `json:"usage"`
}

type wholeChoice struct {
	Index        int          `json:"index"`
	Message      wholeMessage `json:"message"`
	FinishReason string       `json:"finish_reason"`
}

type wholeMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

func (c completion) whole(res dialog.Result) wholeResponse {
	return wholeResponse{
		ID: c.id, Object: "chat.completion", Created: c.created, Model: c.model,
		Choices: []wholeChoice{{
			Message:      wholeMessage{Role: "assistant", Content: res.Text},
			FinishReason: finishReason(res),
		}},
		Usage: usageOf(res),
	}
}

type chunk struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []chunkChoice `json:"choices"`
	Usage   *usage        `json:"usage,omitempty"`
}

type chunkChoice struct {
	Index        int        `json:"index"`
	Delta        chunkDelta `json:"delta"`
	FinishReason *string    `json:"finish_reason"`
}

type chunkDelta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

func (c completion) chunk(delta chunkDelta, finish *string) chunk {
	return chunk{
		ID: c.id, Object: "chat.completion.chunk", Created: c.created, Model: c.model,
		Choices: []chunkChoice{{Delta: delta, FinishReason: finish}},
	}
}

func finishReason(res dialog.Result) string {
	if res.FinishReason == "" {
		return "stop"
	}
	return res.FinishReason
}

// streamChat answers with server-sent events the way OpenAI does: a role
// chunk, content chunks, a chunk with the finish reason, optionally a usage
// chunk with no choices, then [DONE].
func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, req dialog.Request,
	c completion, includeUsage bool) {
	flusher, _ := w.(http.Flusher)
	sse := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	// The conversation is resolved while answering, after the headers
	// left, so its ID travels as a trailer.
	h.Set("Trailer", "X-Conversation-ID")
	w.WriteHeader(http.StatusOK)
	if err := sse(c.chunk(chunkDelta{Role: "assistant"}, nil)); err != nil {
		return
	}

	res, err := s.reply(r, req, func(delta string) error {
		return sse(c.chunk(chunkDelta{Content: delta}, nil))
	})
	if err != nil {
		// Headers are gone; OpenAI reports mid-stream failures as an
		// error event, which its clients raise as an exception.
		status, typ, code := engineErrorStatus(err)
		if status >= 500 {
			s.cfg.Logger.Error("chat stream failed", "err", err)
		}
		sse(errorBody{Error: errorDetail{Message: err.Error(), Type: typ, Code: code}})
		fmt.Fprint(w, "data: [DONE]\n\n")
		return
	}

	reason := finishReason(res)
	sse(c.chunk(chunkDelta{}, &reason))
	if includeUsage {
		u := c.chunk(chunkDelta{}, nil)
		u.Choices = []chunkChoice{}
		u.Usage = usageOf(res)
		sse(u)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	h.Set("X-Conversation-ID", res.ConversationID)
}

// handleModels serves GET /v1/models: the tenant's agents.
func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	tenant := tenantOf(r)
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	for _, a := range s.cfg.Agents(tenant.ID) {
		list.Data = append(list.Data, model{ID: a.Name, Object: "model", OwnedBy: tenant.ID})
	}
	writeJSON(w, http.StatusOK, list)
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

// errorDetail is OpenAI's error object; param is always present, as null.
type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Message: msg, Type: typ, Code: code}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
