package dialog

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/voiced/voiced/dialog/llmtest"
)

func TestReplyFallsBackToSmallLLM(t *testing.T) {
	const small = "The small model answers."
	tests := []struct {
		name      string
		script    llmtest.Script
		refuse    bool
		wantCalls int // requests the main server receives
		wantKind  string
	}{
		{"unauthorized is not retried", llmtest.Fail(http.StatusUnauthorized, "bad key"), false, 1, kindAuth},
		{"forbidden is not retried", llmtest.Fail(http.StatusForbidden, "no access"), false, 1, kindAuth},
		{"500 is retried once", llmtest.Fail(http.StatusInternalServerError, "boom"), false, 2, kindServer},
		{"503 is retried once", llmtest.Fail(http.StatusServiceUnavailable, "overloaded"), false, 2, kindServer},
		{"refused connection", llmtest.Script{}, true, 0, kindConnect},
		{"slow first token", llmtest.Script{Text: "Too late.", FirstTokenDelay: time.Minute},
			false, 1, kindFirstTokenTimeout},
		{"error event before text", llmtest.Script{Text: "Never sent.", StreamErrorAfter: -1,
			ErrorMessage: "model crashed"}, false, 1, kindStream},
		{"disconnect before text", llmtest.Script{Text: "Never sent.", DisconnectAfter: -1},
			false, 1, kindStream},
		{"empty answer", llmtest.Script{Deltas: []string{}}, false, 1, kindStream},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mainSrv, smallSrv := llmtest.NewServer(t), llmtest.NewServer(t)
			mainSrv.Handle(func(llmtest.Request) llmtest.Script { return tc.script })
			smallSrv.Enqueue(llmtest.Reply(small))
			if tc.refuse {
				mainSrv.Refuse()
			}
			mainCfg := llmConfig(mainSrv, "external")
			mainCfg.FirstTokenTimeout = 300 * time.Millisecond
			h := newHarness(t, mainCfg, llmConfig(smallSrv, "local"))

			res, _ := h.reply(t, ask("When do you open?"))
			if res.Text != small || res.Mode != ModeSmallLLM {
				t.Errorf("got %q mode %q, want the small llm's answer", res.Text, res.Mode)
			}
			if got := mainSrv.Count(); got != tc.wantCalls {
				t.Errorf("got %d requests to the main llm, want %d", got, tc.wantCalls)
			}
			if got := h.counter(t, "dialog_llm_errors_total",
				map[string]string{"endpoint": "llm", "kind": tc.wantKind}); got < 1 {
				t.Errorf("got %v errors of kind %s, want at least 1", got, tc.wantKind)
			}
			if got := h.counter(t, "dialog_fallbacks_total",
				map[string]string{"from": "llm", "to": "small_llm"}); got != 1 {
				t.Errorf("got %v fallbacks llm→small_llm, want 1", got)
			}
		})
	}
}

func TestReplyKeepsPartialAnswer(t *testing.T) {
	tests := []struct {
		name   string
		script llmtest.Script
	}{
		{"error event", llmtest.Script{Text: "We open at ten on Saturday.", StreamErrorAfter: 2}},
		{"disconnect", llmtest.Script{Text: "We open at ten on Saturday.", DisconnectAfter: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mainSrv, smallSrv := llmtest.NewServer(t), llmtest.NewServer(t)
			mainSrv.Enqueue(tc.script)
			h := newHarness(t, llmConfig(mainSrv, "external"), llmConfig(smallSrv, "local"))

			res, _ := h.reply(t, ask("When do you open?"))
			if res.Text != "We open " || res.Mode != ModeLLM || res.FinishReason != "stop" {
				t.Errorf("got %q mode %q finish %q, want the partial %q from the llm with stop",
					res.Text, res.Mode, res.FinishReason, "We open ")
			}
			if smallSrv.Count() != 0 || mainSrv.Count() != 1 {
				t.Errorf("got %d main and %d small requests, want 1 and 0",
					mainSrv.Count(), smallSrv.Count())
			}
			if got := h.counter(t, "dialog_fallbacks_total",
				map[string]string{"from": "llm", "to": "partial"}); got != 1 {
				t.Errorf("got %v partial answers counted, want 1", got)
			}
		})
	}
}

func TestReplyFallsBackToExtractive(t *testing.T) {
	mainSrv, smallSrv := llmtest.NewServer(t), llmtest.NewServer(t)
	down := func(llmtest.Request) llmtest.Script { return llmtest.Fail(http.StatusBadGateway, "down") }
	mainSrv.Handle(down)
	smallSrv.Handle(down)
	h := newHarness(t, llmConfig(mainSrv, "external"), llmConfig(smallSrv, "local"))

	res, _ := h.reply(t, ask("Is parking free?"))
	const want = "Parking is free for customers. The car park is behind the building."
	if res.Mode != ModeFallback || res.Text != want {
		t.Errorf("got %q mode %q, want the extractive parking sentence as fallback", res.Text, res.Mode)
	}
	if mainSrv.Count() != 2 || smallSrv.Count() != 2 {
		t.Errorf("got %d main and %d small requests, want 2 each", mainSrv.Count(), smallSrv.Count())
	}
	if got := h.counter(t, "dialog_fallbacks_total",
		map[string]string{"from": "small_llm", "to": "extractive"}); got != 1 {
		t.Errorf("got %v fallbacks small_llm→extractive, want 1", got)
	}
	if got := h.counter(t, "dialog_replies_total", map[string]string{"mode": ModeFallback}); got != 1 {
		t.Errorf("got %v fallback replies, want 1", got)
	}
}

func TestLLMErrorKeepsUpstreamMessage(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Fail(http.StatusUnauthorized, "Incorrect API key provided: sk-te****"))
	ep, err := newEndpoint(*llmConfig(srv, "local"), "llm", ModeLLM)
	if err != nil {
		t.Fatalf("newEndpoint: %v", err)
	}
	h := newHarness(t, nil, nil)
	req := buildChatRequest(ep, purposeAnswer, promptInput{question: "hi", query: "hi"})

	_, err = h.engine.streamOnce(context.Background(), ep, req, &output{onDelta: func(string) error { return nil },
		now: time.Now})
	var le *LLMError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want an *LLMError", err)
	}
	if le.Status != 401 || le.Message != "Incorrect API key provided: sk-te****" || le.Endpoint != "llm" {
		t.Errorf("got %+v, want status 401, the upstream message and endpoint llm", le)
	}
	if le.Retryable() {
		t.Errorf("got retryable 401, want not retryable")
	}
}

func TestDeadLLMIsSkippedAfterConsecutiveFailures(t *testing.T) {
	mainSrv, smallSrv := llmtest.NewServer(t), llmtest.NewServer(t)
	mainSrv.Handle(func(llmtest.Request) llmtest.Script {
		return llmtest.Fail(http.StatusUnauthorized, "bad key")
	})
	smallSrv.Handle(func(llmtest.Request) llmtest.Script { return llmtest.Reply("Small answers.") })
	h := newHarness(t, llmConfig(mainSrv, "external"), llmConfig(smallSrv, "local"))

	for range 5 {
		if res, _ := h.reply(t, ask("When do you open?")); res.Mode != ModeSmallLLM {
			t.Fatalf("mode %q, want the small llm to answer", res.Mode)
		}
	}
	// 401 is not retried: one request per turn until three failures in a
	// row open the breaker; the next turns go straight to the small LLM.
	if got := mainSrv.Count(); got != 3 {
		t.Errorf("got %d requests to the failing main llm over 5 turns, want 3", got)
	}
	if got := h.counter(t, "dialog_fallbacks_total",
		map[string]string{"from": "llm", "to": "skipped"}); got != 2 {
		t.Errorf("got %v skipped turns, want 2", got)
	}
}
