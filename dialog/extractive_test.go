package dialog

import (
	"reflect"
	"testing"

	"github.com/voiced/voiced/rag"
)

func TestPickSentences(t *testing.T) {
	passages := []rag.Passage{
		{Source: "a.md", Text: "# Opening hours\nOur shop is in the old town. We are open Monday " +
			"to Friday from 9 a.m. to 6 p.m. On Saturdays we open from 10 to 2. Prices vary."},
		{Source: "b.md", Text: "Parking is free for customers. Bring your ticket."},
	}
	tests := []struct {
		question string
		want     []string
	}{
		{"When are you open on Saturday?", []string{
			"We are open Monday to Friday from 9 a.m. to 6 p.m.", "On Saturdays we open from 10 to 2."}},
		{"Is parking free?", []string{"Parking is free for customers."}},
		{"Where is the shop?", []string{"Our shop is in the old town."}},
		{"Do you sell bicycles?", nil},
		{"What is it?", nil},
	}
	for _, tc := range tests {
		t.Run(tc.question, func(t *testing.T) {
			got, _ := pickSentences(tc.question, passages)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExtractiveReply(t *testing.T) {
	tests := []struct {
		name       string
		question   string
		passages   []rag.Passage
		wantText   string
		wantDeltas int
	}{
		{"matching sentences stream one by one", "When do you open on Saturday?", testPassages,
			"We are open Monday to Friday from 9 a.m. to 6 p.m. On Saturday we open from 10 to 2.", 2},
		{"nothing matches", "Do you repair bicycles?", testPassages, dontKnow, 1},
		{"no passages", "Is parking free?", nil, dontKnow, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			h.searcher.passages = tc.passages
			res, deltas := h.reply(t, ask(tc.question))
			if res.Text != tc.wantText || res.Mode != ModeExtractive {
				t.Errorf("got %q mode %q, want %q extractive", res.Text, res.Mode, tc.wantText)
			}
			if len(deltas) != tc.wantDeltas {
				t.Errorf("got %d deltas, want %d", len(deltas), tc.wantDeltas)
			}
			if res.CompletionTokens == 0 || res.PromptTokens == 0 {
				t.Errorf("got usage %d/%d, want estimates", res.PromptTokens, res.CompletionTokens)
			}
		})
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"opens", "open"}, {"parking", "park"}, {"opened", "open"}, {"address", "address"},
		{"deliveries", "delivery"}, {"bus", "bus"}, {"sing", "sing"},
	}
	for _, tc := range tests {
		if got := stem(tc.in); got != tc.want {
			t.Errorf("stem(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}
