package dialog

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/voiced/voiced/store"
)

// Latency stages of a voice turn, stored in store.Turn.Latency (in
// milliseconds) and observed by voiced_turn_latency_seconds.
const (
	// StageEndpointWait is from the caller's last speech to the decision
	// that their turn ended.
	StageEndpointWait = "endpoint_wait"
	// StageASR is how long the recognizer took to give the transcript.
	StageASR = "asr"
	// StageLLMFirstToken is from asking the Replier to its first text.
	StageLLMFirstToken = "llm_first_token"
	// StageTTSFirstByte is from asking the synthesizer to its first audio.
	StageTTSFirstByte = "tts_first_byte"
	// StageFirstReplyPacket is from the end of the turn to the first
	// sample of the answer taken by the playout.
	StageFirstReplyPacket = "first_reply_packet"
	// StageVoiceToVoice is from the caller's last speech to the first
	// sample of the answer played.
	StageVoiceToVoice = "voice_to_voice"
)

// voiceMetrics are the turn controller's Prometheus collectors.
type voiceMetrics struct {
	latency  *prometheus.HistogramVec
	failures *prometheus.CounterVec
	bargeIns *prometheus.CounterVec
}

// newVoiceMetrics builds the collectors and registers them with reg
// unless it is nil; collectors registered by an earlier call are shared.
func newVoiceMetrics(reg prometheus.Registerer) (*voiceMetrics, error) {
	m := &voiceMetrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "voiced_turn_latency_seconds",
			Help:    "Latency of the stages of a voice turn.",
			Buckets: []float64{0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10},
		}, []string{"stage"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiced_voice_failures_total",
			Help: "Failures in voice calls, by stage (asr_start, asr_finish, tts, reply, ...).",
		}, []string{"stage"}),
		bargeIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiced_barge_ins_total",
			Help: "Caller speech over the agent, by outcome " +
				"(interruption, backchannel, false, asr_failed).",
		}, []string{"outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.latency, err = register(reg, m.latency); err != nil {
		return nil, err
	}
	if m.failures, err = register(reg, m.failures); err != nil {
		return nil, err
	}
	m.bargeIns, err = register(reg, m.bargeIns)
	return m, err
}

// record stores a turn: the caller's words (if any) and what they heard
// of the agent's speech (if anything), and adds them to the history.
func (v *Voice) record(u *userTurn, sp *speech, heard string) {
	var turns []store.Turn
	if u != nil {
		turns = append(turns, store.Turn{Role: "user", Text: u.text, At: u.at})
		v.history = append(v.history, Message{Role: "user", Content: u.text})
	}
	if sp != nil && heard != "" {
		t := store.Turn{Role: "assistant", Text: heard, At: sp.heardAt, Mode: sp.mode,
			Sources: sources(sp.result)}
		if u != nil {
			t.Latency = v.latency(u, sp)
		}
		turns = append(turns, t)
		v.history = append(v.history, Message{Role: "assistant", Content: heard})
	}
	v.rec.append(turns)
}

// latency computes the stages of an answered turn that were reached, and
// observes them.
func (v *Voice) latency(u *userTurn, sp *speech) map[string]float64 {
	lat := map[string]float64{}
	put := func(stage string, d time.Duration) {
		lat[stage] = millis(d)
		v.metrics.latency.WithLabelValues(stage).Observe(d.Seconds())
	}
	tm := sp.timing
	if !u.keys {
		put(StageEndpointWait, u.endAt.Sub(u.lastSpeech))
		put(StageASR, u.asr)
	}
	if !tm.firstToken.IsZero() {
		put(StageLLMFirstToken, tm.firstToken.Sub(tm.replyStart))
	}
	if tm.ttsFirstByte > 0 {
		put(StageTTSFirstByte, tm.ttsFirstByte)
	}
	if !tm.firstPlayed.IsZero() {
		put(StageFirstReplyPacket, tm.firstPlayed.Sub(u.endAt))
		put(StageVoiceToVoice, tm.firstPlayed.Sub(u.lastSpeech))
	}
	if r, ok := sp.result.Latency["retrieval"]; ok {
		lat["retrieval"] = r
	}
	return lat
}

// turnRecorder appends a call's turns to the store in order, off the
// event loop.
type turnRecorder struct {
	queue chan []store.Turn // nil: nothing is stored
	done  chan struct{}
	log   *slog.Logger
	m     *voiceMetrics
}

// recordQueue is how many turns may wait for a slow store.
const recordQueue = 64

// startRecorder starts the recorder's goroutine; close stops it once it
// has stored what was queued.
func startRecorder(st store.Store, id string, log *slog.Logger, m *voiceMetrics) *turnRecorder {
	r := &turnRecorder{log: log, m: m}
	if st == nil || id == "" {
		return r
	}
	r.queue, r.done = make(chan []store.Turn, recordQueue), make(chan struct{})
	go func() {
		defer close(r.done)
		for turns := range r.queue {
			// The turns were said: they are stored even as the call ends.
			ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
			if err := st.AppendTurns(ctx, id, turns); err != nil {
				m.failures.WithLabelValues("store").Inc()
				log.Warn("turn not stored", "err", err)
			}
			cancel()
		}
	}()
	return r
}

func (r *turnRecorder) append(turns []store.Turn) {
	if r.queue == nil || len(turns) == 0 {
		return
	}
	select {
	case r.queue <- turns:
	default:
		r.m.failures.WithLabelValues("store").Inc()
		r.log.Warn("turn not stored: the store is too slow", "turns", len(turns))
	}
}

func (r *turnRecorder) close() {
	if r.queue != nil {
		close(r.queue)
		<-r.done
	}
}
