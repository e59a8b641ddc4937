package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/voiced/voiced/dialog"
)

// chatRequest is the subset of OpenAI's chat completion request that voiced
// uses; unknown fields are ignored, as OpenAI clients send many.
type chatRequest struct {
	Model         string        `json:"model"`
	Messages      []chatMessage `json:"messages"`
	Stream        bool          `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Metadata map[string]string `json:"metadata"`
}

type chatMessage struct {
	Role    string      `json:"role"`
	Content chatContent `json:"content"`
}

// chatContent accepts both forms OpenAI allows: a string, or an array of
// parts of which the text parts are kept.
type chatContent string

func (c *chatContent) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*c = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = chatContent(s)
		return nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &parts); err != nil {
		return errors.New("content must be a string or an array of content parts")
	}
	var sb strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			sb.WriteString(p.Text)
		}
	}
	*c = chatContent(sb.String())
	return nil
}

// handleChat serves POST /v1/chat/completions.
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	tenant := tenantOf(r)
	req, status, code, err := s.decodeChat(w, r)
	if err != nil {
		s.metrics.badRequests.WithLabelValues(code).Inc()
		writeError(w, status, "invalid_request_error", code, err.Error())
		return
	}
	agent, ok := s.pickAgent(tenant.ID, req.Model)
	if !ok {
		s.metrics.badRequests.WithLabelValues("model_not_found").Inc()
		writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found",
			fmt.Sprintf("the model %q does not exist for this tenant; GET /v1/models lists them", req.Model))
		return
	}

	dreq := dialog.Request{
		TenantID:       tenant.ID,
		Agent:          agent,
		ConversationID: conversationID(r, req),
		Channel:        "chat",
	}
	for _, m := range req.Messages {
		// The tenant's agent owns the system prompt; a client's system
		// messages would let any key holder rewrite it.
		if m.Role == "user" || m.Role == "assistant" {
			dreq.Messages = append(dreq.Messages, dialog.Message{Role: m.Role, Content: string(m.Content)})
		}
	}

	c := completion{id: "chatcmpl-" + randomHex(12), created: s.cfg.Now().Unix(), model: agent.Name}
	if req.Stream {
		s.streamChat(w, r, dreq, c, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
		return
	}
	res, err := s.reply(r, dreq, func(string) error { return nil })
	if err != nil {
		s.writeEngineError(w, err)
		return
	}
	w.Header().Set("X-Conversation-ID", res.ConversationID)
	writeJSON(w, http.StatusOK, c.whole(res))
}

// reply asks the engine. An answer that was given but could not be stored
// still reaches the client: the failure is logged and counted, because
// withholding the answer would not bring the record back.
func (s *Server) reply(r *http.Request, req dialog.Request, onDelta func(string) error) (dialog.Result, error) {
	res, err := s.cfg.Engine.Reply(r.Context(), req, onDelta)
	if errors.Is(err, dialog.ErrNotRecorded) {
		s.metrics.unrecorded.Inc()
		s.cfg.Logger.Error("chat turn not recorded", "tenant", req.TenantID, "err", err)
		return res, nil
	}
	return res, err
}

// decodeChat reads and checks the body, returning the HTTP status and
// OpenAI error code that describe what is wrong with it.
func (s *Server) decodeChat(w http.ResponseWriter, r *http.Request) (chatRequest, int, string, error) {
	var req chatRequest
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, http.StatusRequestEntityTooLarge, "request_too_large",
				fmt.Errorf("request body is larger than %d bytes", tooBig.Limit)
		}
		return req, http.StatusBadRequest, "invalid_json", fmt.Errorf("invalid JSON body: %w", err)
	}
	if len(req.Messages) == 0 {
		return req, http.StatusBadRequest, "invalid_messages", errors.New("messages must not be empty")
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool":
		default:
			return req, http.StatusBadRequest, "invalid_messages",
				fmt.Errorf("messages[%d].role %q is not system, user, assistant or tool", i, m.Role)
		}
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role != "user" {
		return req, http.StatusBadRequest, "invalid_messages", errors.New("the last message must be the user's")
	}
	if strings.TrimSpace(string(last.Content)) == "" {
		return req, http.StatusBadRequest, "invalid_messages", errors.New("the last user message is empty")
	}
	return req, 0, "", nil
}

// pickAgent maps the model field to an agent. While a tenant has a single
// agent, any model name reaches it, so clients may keep their default.
func (s *Server) pickAgent(tenantID, model string) (dialog.Agent, bool) {
	agents := s.cfg.Agents(tenantID)
	for _, a := range agents {
		if a.Name == model {
			return a, true
		}
	}
	if len(agents) == 1 {
		return agents[0], true
	}
	return dialog.Agent{}, false
}

// conversationID lets a client name the conversation explicitly; without
// it the engine recognises a continued conversation by its history.
func conversationID(r *http.Request, req chatRequest) string {
	if id := r.Header.Get("X-Conversation-ID"); id != "" {
		return id
	}
	return req.Metadata["conversation_id"]
}

// writeEngineError maps the dialog engine's errors to OpenAI's shape.
func (s *Server) writeEngineError(w http.ResponseWriter, err error) {
	status, typ, code := engineErrorStatus(err)
	if status >= 500 {
		s.cfg.Logger.Error("chat reply failed", "err", err)
	}
	writeError(w, status, typ, code, err.Error())
}

func engineErrorStatus(err error) (status int, typ, code string) {
	switch {
	case errors.Is(err, dialog.ErrNoUserMessage), errors.Is(err, dialog.ErrEmptyMessage):
		return http.StatusBadRequest, "invalid_request_error", "invalid_messages"
	case errors.Is(err, context.Canceled):
		return 499, "invalid_request_error", "client_closed_request"
	default:
		return http.StatusInternalServerError, "server_error", "internal_error"
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
