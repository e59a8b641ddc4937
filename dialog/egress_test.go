package dialog

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/voiced/voiced/dialog/llmtest"
)

var openingHistory = []Message{
	{Role: "user", Content: "When do you open on weekdays?"},
	{Role: "assistant", Content: "From 9 to 6."},
}

func TestExternalLLMGetsOnlyTheQuestion(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply("From 10 to 2."))
	h := newHarness(t, llmConfig(srv, "external"), nil)

	h.reply(t, ask("And on Saturday?", openingHistory...))
	msgs := srv.Requests()[0].Messages
	if len(msgs) != 2 || msgs[1].Content != "And on Saturday?" {
		t.Errorf("got %+v, want the system prompt and the question only", msgs)
	}
	if got := h.searcher.lastQuery(); got != "And on Saturday? open weekdays" {
		t.Errorf("got query %q, want the follow-up plus the previous question's keywords", got)
	}
}

func TestLocalLLMGetsHistory(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply("From 10 to 2."))
	h := newHarness(t, llmConfig(srv, "local"), nil)

	h.reply(t, ask("And on Saturday?", openingHistory...))
	msgs := srv.Requests()[0].Messages
	var roles []string
	for _, m := range msgs {
		roles = append(roles, m.Role)
	}
	if strings.Join(roles, ",") != "system,user,assistant,user" {
		t.Errorf("got roles %v, want system, the history and the question", roles)
	}
}

func TestSmallLLMCondensesFollowUp(t *testing.T) {
	mainSrv, smallSrv := llmtest.NewServer(t), llmtest.NewServer(t)
	smallSrv.Enqueue(llmtest.Reply("When do you open on Saturday?\n"))
	mainSrv.Enqueue(llmtest.Reply("From 10 to 2."))
	h := newHarness(t, llmConfig(mainSrv, "external"), llmConfig(smallSrv, "local"))

	res, _ := h.reply(t, ask("And on Saturday?", openingHistory...))
	if res.Text != "From 10 to 2." {
		t.Errorf("got %q, want the main llm's answer", res.Text)
	}
	condense := smallSrv.Requests()[0]
	if condense.Stream || !strings.Contains(condense.Messages[1].Content, "From 9 to 6.") {
		t.Errorf("got %+v, want a non-streaming condense request with the history", condense)
	}
	if got := h.searcher.lastQuery(); got != "When do you open on Saturday?" {
		t.Errorf("got query %q, want the condensed question", got)
	}
	if got := mainSrv.Requests()[0].Messages[1].Content; got != "When do you open on Saturday?" {
		t.Errorf("got question %q sent out, want the condensed one", got)
	}
}

func TestExternalSmallLLMDoesNotCondense(t *testing.T) {
	mainSrv, smallSrv := llmtest.NewServer(t), llmtest.NewServer(t)
	mainSrv.Enqueue(llmtest.Reply("From 10 to 2."))
	h := newHarness(t, llmConfig(mainSrv, "external"), llmConfig(smallSrv, "external"))

	h.reply(t, ask("And on Saturday?", openingHistory...))
	if smallSrv.Count() != 0 {
		t.Errorf("got %d requests to the external small llm, want none", smallSrv.Count())
	}
}

func TestSituate(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply("This chunk lists  the Saturday\nhours of the shop."))
	h := newHarness(t, nil, llmConfig(srv, "local"))

	got, err := h.engine.Situate(context.Background(), "Opening hours", "Whole document text.",
		"On Saturday we open from 10 to 2.")
	if err != nil {
		t.Fatalf("Situate: %v", err)
	}
	if got != "This chunk lists the Saturday hours of the shop." {
		t.Errorf("got %q, want the sentence on one line", got)
	}
	body := srv.Requests()[0].Messages[0].Content
	if !strings.Contains(body, "Whole document text.") || !strings.Contains(body, "Saturday we open") {
		t.Errorf("got prompt %q, want document and chunk", body)
	}
}

func TestSituateNeedsLocalSmallLLM(t *testing.T) {
	srv := llmtest.NewServer(t)
	tests := []struct {
		name  string
		small *LLMConfig
	}{
		{"none", nil},
		{"external", llmConfig(srv, "external")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, llmConfig(srv, "local"), tc.small)
			_, err := h.engine.Situate(context.Background(), "t", "doc", "chunk")
			if !errors.Is(err, ErrNoLLM) {
				t.Errorf("got %v, want ErrNoLLM", err)
			}
		})
	}
	if srv.Count() != 0 {
		t.Errorf("got %d requests, want none", srv.Count())
	}
}
