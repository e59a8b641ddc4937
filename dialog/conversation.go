package dialog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/voiced/voiced/store"
)

// storeTimeout bounds recording a turn. Recording outlives the caller's
// context: the answer was given, so it is kept even if the client left.
const storeTimeout = 10 * time.Second

// record stores the user's message and the answer, continuing the
// conversation the request names or whose history it repeats, or starting
// a new one. It returns the conversation's ID.
func (e *Engine) record(ctx context.Context, t *turn, res Result, latency map[string]float64) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()

	now := e.now()
	turns := []store.Turn{
		{Role: "user", Text: t.question, At: now},
		{Role: "assistant", Text: res.Text, At: now, Mode: res.Mode,
			Sources: sources(res), Latency: latency},
	}
	id, found, err := e.findConversation(ctx, t)
	if err != nil {
		return "", err
	}
	if !found {
		if id, err = e.createConversation(ctx, t); err != nil {
			return "", err
		}
		turns = append(historyTurns(t.history, now), turns...)
	}

	if err := e.store.AppendTurns(ctx, id, turns); err != nil {
		return id, fmt.Errorf("append turns: %w", err)
	}
	after := append(append([]Message(nil), t.history...),
		Message{Role: "user", Content: t.question},
		Message{Role: "assistant", Content: res.Text})
	if err := e.store.SetFingerprint(ctx, id, fingerprint(t.req, after)); err != nil {
		return id, fmt.Errorf("set fingerprint: %w", err)
	}
	return id, nil
}

// findConversation looks the conversation up by the request's ID, then by
// the fingerprint of the history before the new message.
func (e *Engine) findConversation(ctx context.Context, t *turn) (string, bool, error) {
	if id := t.req.ConversationID; id != "" {
		_, _, err := e.store.Conversation(ctx, t.req.TenantID, id)
		if err == nil {
			return id, true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return "", false, fmt.Errorf("look up conversation %s: %w", id, err)
		}
	}
	if len(t.history) == 0 {
		return "", false, nil
	}

	c, err := e.store.ConversationByFingerprint(ctx, t.req.TenantID, fingerprint(t.req, t.history))
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("look up conversation by history: %w", err)
	}
	return c.ID, true, nil
}

// createConversation starts a conversation under the client's ID when it
// gave one that is free, else under a random one.
func (e *Engine) createConversation(ctx context.Context, t *turn) (string, error) {
	c := store.Conversation{ID: t.req.ConversationID, TenantID: t.req.TenantID,
		Channel: t.req.Channel, Agent: t.req.Agent.Name, StartedAt: e.now()}
	if c.ID != "" {
		err := e.store.CreateConversation(ctx, c)
		if err == nil {
			return c.ID, nil
		}
		if !errors.Is(err, store.ErrExists) {
			return "", fmt.Errorf("create conversation: %w", err)
		}
	}

	c.ID = newConversationID()
	if err := e.store.CreateConversation(ctx, c); err != nil {
		return "", fmt.Errorf("create conversation: %w", err)
	}
	return c.ID, nil
}

// historyTurns converts the history a client sent with the first message
// the server sees of a conversation.
func historyTurns(history []Message, at time.Time) []store.Turn {
	turns := make([]store.Turn, len(history))
	for i, m := range history {
		turns[i] = store.Turn{Role: m.Role, Text: m.Content, At: at}
	}
	return turns
}

// fingerprint identifies a conversation by tenant, agent and history, so
// that a stateless client that sends the whole history with every message
// continues the same conversation. Contents are trimmed, because clients
// do not all keep surrounding whitespace.
func fingerprint(req Request, history []Message) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", req.TenantID, req.Agent.Name)
	for _, m := range history {
		fmt.Fprintf(h, "%s\x00%s\x00", m.Role, strings.TrimSpace(m.Content))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// newConversationID returns "conv_" and 16 random hex digits.
func newConversationID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "conv_" + hex.EncodeToString(b)
}

// sources lists the distinct documents of the answer's passages.
func sources(res Result) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range res.Passages {
		if p.Source != "" && !seen[p.Source] {
			seen[p.Source] = true
			out = append(out, p.Source)
		}
	}
	return out
}
