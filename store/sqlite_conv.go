package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CreateConversation starts a conversation; a taken ID is ErrExists.
func (s *SQLite) CreateConversation(ctx context.Context, c Conversation) error {
	if c.ID == "" || c.TenantID == "" {
		return errors.New("create conversation: id and tenant are required")
	}
	if c.StartedAt.IsZero() {
		c.StartedAt = time.Now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO conversations(id, tenant_id, channel, agent,
		started_at, recording) VALUES(?, ?, ?, ?, ?, ?)`, c.ID, c.TenantID, c.Channel, c.Agent,
		unixMilli(c.StartedAt), c.Recording)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return fmt.Errorf("create conversation %s: %w", c.ID, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create conversation %s: %w", c.ID, err)
	}
	return nil
}

// EndConversation records when a conversation ended.
func (s *SQLite) EndConversation(ctx context.Context, id string, at time.Time) error {
	return s.updateConversation(ctx, "end", id, `ended_at = ?`, unixMilli(at))
}

// SetFingerprint records the fingerprint of a conversation's history.
func (s *SQLite) SetFingerprint(ctx context.Context, id, fingerprint string) error {
	return s.updateConversation(ctx, "fingerprint", id, `fingerprint = ?`, fingerprint)
}

func (s *SQLite) updateConversation(ctx context.Context, what, id, set string, arg any) error {
	res, err := s.db.ExecContext(ctx, `UPDATE conversations SET `+set+` WHERE id = ?`, arg, id)
	if err != nil {
		return fmt.Errorf("%s conversation %s: %w", what, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s conversation %s: %w", what, id, ErrNotFound)
	}
	return nil
}

// AppendTurns adds turns in one transaction, numbering them after the
// conversation's last turn.
func (s *SQLite) AppendTurns(ctx context.Context, conversationID string, turns []Turn) error {
	return s.tx(ctx, "append turns to "+conversationID, func(tx *sql.Tx) error {
		var next int
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM turns
			WHERE conversation_id = ?`, conversationID).Scan(&next)
		if err != nil {
			return err
		}
		for i, t := range turns {
			sources, _ := json.Marshal(nonNil(t.Sources))
			latency, _ := json.Marshal(t.Latency)
			if t.At.IsZero() {
				t.At = time.Now()
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO turns(conversation_id, seq, role, text, at,
				mode, sources, latency) VALUES(?, ?, ?, ?, ?, ?, ?, ?)`, conversationID, next+i,
				t.Role, t.Text, unixMilli(t.At), t.Mode, string(sources), string(latency))
			if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
				return fmt.Errorf("conversation: %w", ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const conversationColumns = `c.id, c.tenant_id, c.channel, c.agent, c.started_at, c.ended_at,
	c.recording, (SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id)`

func scanConversation(row interface{ Scan(...any) error }) (Conversation, error) {
	var c Conversation
	var started, ended int64
	err := row.Scan(&c.ID, &c.TenantID, &c.Channel, &c.Agent, &started, &ended, &c.Recording, &c.Turns)
	c.StartedAt, c.EndedAt = fromMilli(started), fromMilli(ended)
	return c, err
}

// Conversation returns one of the tenant's conversations with its turns.
func (s *SQLite) Conversation(ctx context.Context, tenantID, id string) (Conversation, []Turn, error) {
	c, err := scanConversation(s.db.QueryRowContext(ctx, `SELECT `+conversationColumns+`
		FROM conversations c WHERE c.tenant_id = ? AND c.id = ?`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, nil, fmt.Errorf("conversation %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Conversation{}, nil, fmt.Errorf("conversation %s: %w", id, err)
	}
	turns, err := s.turns(ctx, id)
	if err != nil {
		return Conversation{}, nil, fmt.Errorf("conversation %s: %w", id, err)
	}
	return c, turns, nil
}

func (s *SQLite) turns(ctx context.Context, id string) ([]Turn, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, role, text, at, mode, sources, latency
		FROM turns WHERE conversation_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	var turns []Turn
	for rows.Next() {
		t := Turn{ConversationID: id}
		var at int64
		var sources, latency string
		if err := rows.Scan(&t.Seq, &t.Role, &t.Text, &at, &t.Mode, &sources, &latency); err != nil {
			return nil, err
		}
		t.At = fromMilli(at)
		if err := json.Unmarshal([]byte(sources), &t.Sources); err != nil {
			return nil, fmt.Errorf("turn %d sources: %w", t.Seq, err)
		}
		if err := json.Unmarshal([]byte(latency), &t.Latency); err != nil {
			return nil, fmt.Errorf("turn %d latency: %w", t.Seq, err)
		}
		turns = append(turns, t)
	}
	return turns, rows.Err()
}

// ConversationByFingerprint finds the tenant's conversation whose history
// has the given fingerprint, or ErrNotFound.
func (s *SQLite) ConversationByFingerprint(ctx context.Context, tenantID, fingerprint string) (Conversation, error) {
	if fingerprint == "" {
		return Conversation{}, fmt.Errorf("conversation by fingerprint: %w", ErrNotFound)
	}
	c, err := scanConversation(s.db.QueryRowContext(ctx, `SELECT `+conversationColumns+`
		FROM conversations c WHERE c.tenant_id = ? AND c.fingerprint = ?
		ORDER BY c.started_at DESC LIMIT 1`, tenantID, fingerprint))
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, fmt.Errorf("conversation by fingerprint: %w", ErrNotFound)
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("conversation by fingerprint: %w", err)
	}
	return c, nil
}

// Conversations lists a tenant's conversations, newest first.
func (s *SQLite) Conversations(ctx context.Context, tenantID string, limit int) ([]Conversation, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+conversationColumns+` FROM conversations c
		WHERE c.tenant_id = ? ORDER BY c.started_at DESC LIMIT ?`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()

	var out []Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("list conversations: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
