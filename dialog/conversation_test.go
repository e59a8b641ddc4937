package dialog

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voiced/voiced/dialog/llmtest"
	"github.com/voiced/voiced/store"
)

func TestStatelessClientContinuesOneConversation(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply("We open at 9 on weekdays."), llmtest.Reply("On Saturday from 10 to 2."))
	h := newHarness(t, llmConfig(srv, "external"), nil)

	first, _ := h.reply(t, ask("When do you open?"))
	second, _ := h.reply(t, ask("And on Saturday?",
		Message{Role: "user", Content: "When do you open?"},
		Message{Role: "assistant", Content: first.Text + "\n"}))

	if !strings.HasPrefix(first.ConversationID, "conv_") || len(first.ConversationID) != 21 {
		t.Errorf("got conversation ID %q, want conv_ and 16 hex digits", first.ConversationID)
	}
	if second.ConversationID != first.ConversationID {
		t.Errorf("got conversation %q, want the first one %q", second.ConversationID, first.ConversationID)
	}
	conv, turns, err := h.store.Conversation(context.Background(), "acme", first.ConversationID)
	if err != nil {
		t.Fatalf("Conversation: %v", err)
	}
	if len(turns) != 4 {
		t.Fatalf("got %d turns, want 4", len(turns))
	}
	if conv.Channel != "chat" || conv.Agent != "helper" {
		t.Errorf("got channel %q agent %q, want chat and helper", conv.Channel, conv.Agent)
	}
	wantRoles := []string{"user", "assistant", "user", "assistant"}
	for i, turn := range turns {
		if turn.Role != wantRoles[i] {
			t.Errorf("turn %d: got role %q, want %q", i, turn.Role, wantRoles[i])
		}
	}
	a := turns[3]
	if a.Mode != ModeLLM || a.Text != second.Text || len(a.Sources) == 0 {
		t.Errorf("got assistant turn %+v, want mode llm, the text and sources", a)
	}
	for _, k := range []string{"retrieval", "llm_first_token", "total"} {
		if _, ok := a.Latency[k]; !ok {
			t.Errorf("got latency %v, want key %q", a.Latency, k)
		}
	}
}

func TestNewConversationStoresClientHistory(t *testing.T) {
	h := newHarness(t, nil, nil)
	res, _ := h.reply(t, ask("Is parking free?",
		Message{Role: "user", Content: "Hello"}, Message{Role: "assistant", Content: "Hi, how can I help?"}))

	_, turns, err := h.store.Conversation(context.Background(), "acme", res.ConversationID)
	if err != nil {
		t.Fatalf("Conversation: %v", err)
	}
	if len(turns) != 4 || turns[0].Text != "Hello" || turns[2].Text != "Is parking free?" {
		t.Errorf("got %d turns %+v, want the history and the new exchange", len(turns), turns)
	}
}

func TestConversationIDFromClient(t *testing.T) {
	h := newHarness(t, nil, nil)
	req := ask("Is parking free?")
	req.ConversationID = "client-42"

	first, _ := h.reply(t, req)
	second, _ := h.reply(t, req)
	if first.ConversationID != "client-42" || second.ConversationID != "client-42" {
		t.Errorf("got %q and %q, want client-42 twice", first.ConversationID, second.ConversationID)
	}
	other := ask("Is parking free?")
	other.TenantID, other.ConversationID = "other-tenant", "client-42"
	third, _ := h.reply(t, other)
	if third.ConversationID == "client-42" {
		t.Errorf("got conversation %q for another tenant, want a new one", third.ConversationID)
	}
	_, turns, _ := h.store.Conversation(context.Background(), "acme", "client-42")
	if len(turns) != 4 {
		t.Errorf("got %d turns, want 4", len(turns))
	}
}

func TestStoreFailureIsReturnedAfterAnswer(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.store.failAppend = errors.New("disk full")
	var text string
	res, err := h.engine.Reply(context.Background(), ask("Is parking free?"), func(d string) error {
		text += d
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got %v, want the store error", err)
	}
	if res.Text == "" || text != res.Text {
		t.Errorf("got result %q and deltas %q, want the answer delivered anyway", res.Text, text)
	}
}

func TestContinuationWithSQLite(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "voiced.db"))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.EnsureTenant(context.Background(), store.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatalf("EnsureTenant: %v", err)
	}
	e, err := New(Config{Store: st, Searcher: &fakeSearcher{passages: testPassages}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h := &harness{engine: e}

	first, _ := h.reply(t, ask("Is parking free?"))
	second, _ := h.reply(t, ask("Where is the car park?",
		Message{Role: "user", Content: "Is parking free?"},
		Message{Role: "assistant", Content: first.Text}))
	if second.ConversationID != first.ConversationID {
		t.Errorf("got conversation %q, want %q", second.ConversationID, first.ConversationID)
	}
	_, turns, err := st.Conversation(context.Background(), "acme", first.ConversationID)
	if err != nil || len(turns) != 4 {
		t.Errorf("got %d turns (err %v), want 4", len(turns), err)
	}
}

func TestReplyNoRecord(t *testing.T) {
	h := newHarness(t, nil, nil)
	req := ask("When are you open on Saturday?")
	req.NoRecord, req.ConversationID = true, "call-7"
	res, _ := h.reply(t, req)

	if res.ConversationID != "call-7" {
		t.Errorf("got conversation %q, want the request's %q", res.ConversationID, "call-7")
	}
	if got, _ := h.store.Conversations(context.Background(), "acme", 10); len(got) != 0 {
		t.Errorf("got %d conversations stored, want none", len(got))
	}
	for _, k := range []string{"retrieval", "llm_first_token", "total"} {
		if _, ok := res.Latency[k]; !ok {
			t.Errorf("got latency %v, want key %q", res.Latency, k)
		}
	}
}
