package dialog

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/voiced/voiced/dialog/llmtest"
	"github.com/voiced/voiced/internal/otlptest"
)

// newTracing exports spans over OTLP/HTTP to a fake collector. flush
// exports what is queued and returns the collector's spans.
func newTracing(t *testing.T) (tp *sdktrace.TracerProvider, flush func() *otlptest.Collector) {
	t.Helper()
	col := otlptest.NewCollector()
	t.Cleanup(col.Close)
	exp, err := otlptracehttp.New(t.Context(), otlptracehttp.WithEndpointURL(col.URL+"/v1/traces"))
	if err != nil {
		t.Fatalf("otlp exporter: %v", err)
	}
	tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	return tp, func() *otlptest.Collector {
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Fatalf("flush traces: %v", err)
		}
		return col
	}
}

// noCustomerText fails when a span or event attribute, or any byte sent,
// holds one of texts.
func noCustomerText(t *testing.T, col *otlptest.Collector, texts ...string) {
	t.Helper()
	for _, s := range col.Spans() {
		attrs := []map[string]any{s.Attributes}
		for _, e := range s.Events {
			attrs = append(attrs, e.Attributes)
		}
		for _, m := range attrs {
			for k, v := range m {
				if str, ok := v.(string); ok && len(str) > 12 {
					t.Errorf("span %s: attribute %s = %q, want no text longer than an ID", s.Name, k, str)
				}
			}
		}
	}
	if q := col.Quoted(texts...); len(q) > 0 {
		t.Errorf("got %q in an export, want no customer text", q)
	}
}

func TestVoiceTraces(t *testing.T) {
	tp, flush := newTracing(t)
	eng, err := New(Config{Store: newMemStore(), Searcher: &fakeSearcher{passages: testPassages},
		TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	question := "What are your opening hours?"
	r := runCall(t, callSetup{
		steps: []step{{when: afterAgent(400 * time.Millisecond), say: question}},
		config: func(c *VoiceConfig) {
			c.Replier, c.TracerProvider, c.Codec = eng, tp, "PCMU"
		},
	})
	if len(r.turns) != 3 {
		t.Fatalf("got %d turns stored, want the greeting, the question and the answer", len(r.turns))
	}
	col := flush()

	calls := col.Named(SpanCall)
	if len(calls) != 1 {
		t.Fatalf("got %d call spans, want 1", len(calls))
	}
	call := calls[0]
	for k, want := range map[string]any{"call_id": "call-1", "tenant": "acme", "agent": "helper",
		"channel": "sip", "codec": "PCMU", "turns": int64(2)} {
		if got := call.Attributes[k]; got != want {
			t.Errorf("call span: got %s = %v, want %v", k, got, want)
		}
	}

	turns := col.Named(SpanTurn)
	if len(turns) != 2 {
		t.Fatalf("got %d turn spans, want the greeting and the answer", len(turns))
	}
	for i, w := range []struct {
		mode   string
		length int64
	}{{ModeGreeting, 0}, {ModeExtractive, int64(len(question))}} {
		s := turns[i]
		if s.ParentSpanID != call.SpanID || s.TraceID != call.TraceID {
			t.Errorf("turn %d: got parent %s, want the call span %s", i, s.ParentSpanID, call.SpanID)
		}
		got := s.Attributes
		if got["turn_index"] != int64(i+1) || got["mode"] != w.mode || got["interrupted"] != false {
			t.Errorf("turn %d: got %v, want turn_index %d, mode %s, not interrupted", i, got, i+1, w.mode)
		}
		if i == 1 && (got["transcript_length"] != w.length || got["barge_in"] != false) {
			t.Errorf("turn %d: got %v, want transcript_length %d, no barge_in", i, got, w.length)
		}
	}

	answer := turns[1]
	for _, name := range []string{StageEndpointWait, StageASR, SpanReply} {
		spans := col.Named(name)
		if len(spans) != 1 || spans[0].ParentSpanID != answer.SpanID {
			t.Errorf("got %d %s spans (%+v), want 1 in the answer's turn", len(spans), name, spans)
		}
	}
	reply := col.Named(SpanReply)
	for _, name := range []string{SpanRetrieval, SpanLLM} {
		if s := col.Named(name); len(reply) != 1 || len(s) != 1 || s[0].ParentSpanID != reply[0].SpanID {
			t.Errorf("got %s spans %+v, want 1 in the reply", name, s)
		}
	}
	events := map[string]float64{}
	for _, e := range answer.Events {
		events[e.Name], _ = e.Attributes["duration_ms"].(float64)
	}
	// The extractive answer comes at once: its first token takes no time.
	if _, ok := events[StageLLMFirstToken]; !ok {
		t.Errorf("got events %v, want %s", events, StageLLMFirstToken)
	}
	for _, stage := range []string{StageTTSFirstByte, StageFirstReplyPacket, StageVoiceToVoice} {
		if events[stage] <= 0 {
			t.Errorf("got events %v, want %s with a duration", events, stage)
		}
	}
	if events[StageVoiceToVoice] <= events[StageFirstReplyPacket] {
		t.Errorf("got events %v, want voice_to_voice longer than first_reply_packet", events)
	}

	noCustomerText(t, col, question, r.turns[2].Text, testPassages[0].Text, "Hello, how can I help?")
}

func TestVoiceTraceBargeIn(t *testing.T) {
	tp, flush := newTracing(t)
	rep := &fakeReplier{firstToken: 300 * time.Millisecond, perWord: 250 * time.Millisecond,
		answers: map[string]string{"hours": longAnswer, "parking": "Parking is free behind the building."}}
	runCall(t, callSetup{replier: rep, steps: []step{
		{when: afterAgent(400 * time.Millisecond), say: "What are your opening hours?"},
		{when: whileAgent(3 * time.Second), say: "Wait, what about parking?"},
	}, config: func(c *VoiceConfig) { c.TracerProvider = tp }})
	col := flush()

	turns := col.Named(SpanTurn)
	if len(turns) != 3 {
		t.Fatalf("got %d turn spans, want the greeting and two answers", len(turns))
	}
	cut, next := turns[1].Attributes, turns[2].Attributes
	if cut["interrupted"] != true || cut["barge_in"] != false {
		t.Errorf("got first answer %v, want interrupted, not a barge-in", cut)
	}
	if next["barge_in"] != true || next["interrupted"] != false {
		t.Errorf("got second answer %v, want a barge-in heard whole", next)
	}
	if h := cut["heard_length"].(int64); h <= 0 || h >= int64(len(longAnswer)) {
		t.Errorf("got heard_length %d, want part of the %d of the answer", h, len(longAnswer))
	}
	noCustomerText(t, col, longAnswer, "What are your opening hours?", "Wait, what about parking?")
}

func TestReplyTrace(t *testing.T) {
	tp, flush := newTracing(t)
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Script{Text: "We open at 10 on Saturday.", PromptTokens: 42, CompletionTokens: 7})
	eng, err := New(Config{Store: newMemStore(), Searcher: &fakeSearcher{passages: testPassages},
		LLM: llmConfig(srv, "local"), TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	question := "When do you open on Saturday?"
	if _, err := eng.Reply(t.Context(), ask(question), nil); err != nil {
		t.Fatalf("Reply: %v", err)
	}
	if _, err := eng.Reply(t.Context(), Request{TenantID: "acme"}, nil); err == nil {
		t.Fatal("Reply of no message: got no error")
	}
	col := flush()

	replies := col.Named(SpanReply)
	if len(replies) != 2 || replies[0].ParentSpanID != "" {
		t.Fatalf("got reply spans %+v, want two roots", replies)
	}
	ok, bad := replies[0], replies[1]
	if ok.Attributes["channel"] != "chat" || ok.Attributes["mode"] != ModeLLM || ok.Error {
		t.Errorf("got reply %v (error %v), want a chat answered by the llm", ok.Attributes, ok.Error)
	}
	if !bad.Error {
		t.Errorf("got an invalid request's span without an error status")
	}
	llm := col.Named(SpanLLM)
	if len(llm) != 1 || llm[0].ParentSpanID != ok.SpanID {
		t.Fatalf("got llm spans %+v, want 1 in the reply", llm)
	}
	got := llm[0].Attributes
	if got["prompt_tokens"] != int64(42) || got["completion_tokens"] != int64(7) ||
		got["finish_reason"] != "stop" {
		t.Errorf("got llm span %v, want 42 prompt and 7 completion tokens, finish stop", got)
	}
	if ev := llm[0].Events; len(ev) != 1 || ev[0].Name != EventFirstToken {
		t.Errorf("got llm events %+v, want first_token", ev)
	}
	if r := col.Named(SpanRetrieval); len(r) != 1 || r[0].Attributes["passages"] != int64(1) {
		t.Errorf("got retrieval spans %+v, want 1 with 1 passage", r)
	}
	noCustomerText(t, col, question, "We open at 10 on Saturday.", testPassages[0].Text)
}
