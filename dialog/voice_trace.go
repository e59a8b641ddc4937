package dialog

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// startCall starts the call's span; its turns are children of the
// returned context.
func (v *Voice) startCall(ctx context.Context) (context.Context, trace.Span) {
	c := v.cfg
	attrs := []attribute.KeyValue{attribute.String("call_id", c.ConversationID),
		attribute.String("tenant", c.TenantID), attribute.String("agent", c.Agent.Name),
		attribute.String("channel", c.Channel)}
	if c.Codec != "" {
		attrs = append(attrs, attribute.String("codec", c.Codec))
	}
	return v.tracer.Start(ctx, SpanCall, trace.WithTimestamp(c.Now()),
		trace.WithAttributes(attrs...))
}

// endCall ends the call's span.
func (v *Voice) endCall(span trace.Span) {
	span.SetAttributes(attribute.Int("turns", v.turns))
	span.End(trace.WithTimestamp(v.cfg.Now()))
}

// startTurn starts the span of a speech: at once for a prompt, at the
// caller's last speech for an answer, with its endpoint_wait and asr
// stages.
func (v *Voice) startTurn(ctx context.Context, u *userTurn) (context.Context, trace.Span) {
	v.turns++
	attrs := []attribute.KeyValue{attribute.Int("turn_index", v.turns)}
	start := v.cfg.Now()
	if u != nil {
		start = u.lastSpeech
		attrs = append(attrs, attribute.Bool("barge_in", u.bargeIn),
			attribute.Bool("keys", u.keys), textLength("transcript_length", u.text))
	}
	ctx, span := v.tracer.Start(ctx, SpanTurn, trace.WithTimestamp(start),
		trace.WithAttributes(attrs...))
	if u != nil && !u.keys && span.IsRecording() {
		v.stageSpan(ctx, StageEndpointWait, u.lastSpeech, u.endAt)
		if !u.asrAt.IsZero() {
			v.stageSpan(ctx, StageASR, u.asrAt.Add(-u.asr), u.asrAt)
		}
	}
	return ctx, span
}

// stageSpan records a stage that is already over.
func (v *Voice) stageSpan(ctx context.Context, name string, start, end time.Time) {
	_, span := v.tracer.Start(ctx, name, trace.WithTimestamp(start))
	span.End(trace.WithTimestamp(end))
}

// stageEvent marks on the turn's span that a stage ended at at, after d.
func (sp *speech) stageEvent(stage string, at time.Time, d time.Duration) {
	sp.span.AddEvent(stage, trace.WithTimestamp(at), trace.WithAttributes(durationMS(d)))
}

// played marks the answer's first sample played on the turn's span.
func (sp *speech) played() {
	u, at := sp.user, sp.timing.firstPlayed
	if u == nil {
		return
	}
	sp.stageEvent(StageFirstReplyPacket, at, at.Sub(u.endAt))
	sp.stageEvent(StageVoiceToVoice, at, at.Sub(u.lastSpeech))
}

// endTurnSpan ends the speech's span with how it went.
func (v *Voice) endTurnSpan(sp *speech, heard string, whole bool) {
	sp.span.SetAttributes(attribute.String("mode", sp.mode),
		attribute.Bool("interrupted", !whole), textLength("heard_length", heard))
	sp.span.End(trace.WithTimestamp(v.cfg.Now()))
}
