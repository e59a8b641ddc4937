package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/config"
	"github.com/voiced/voiced/dialog"
	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/sip"
	"github.com/voiced/voiced/store"
	"github.com/voiced/voiced/tts"
	"github.com/voiced/voiced/vad"
)

// phone answers SIP calls for the configured tenants. It routes dialled
// numbers to tenants, keeps each call's conversation in the store and runs
// the voice pipeline on it: listen, transcribe, answer, speak. Without a
// recognizer or voice activity detector a call only hears the greeting.
type phone struct {
	cfg    *config.Config
	store  store.Store
	engine dialog.Replier
	agents func(tenantID string) []dialog.Agent
	tts    tts.Synthesizer // nil: calls are answered silently
	asr    asr.Recognizer  // nil: calls are not listened to
	vad    *vad.Model      // nil: calls are not listened to
	log    *slog.Logger
	reg    prometheus.Registerer
	tracer trace.TracerProvider // nil: calls are not traced
	now    func() time.Time
	// recordings is the recordings folder relative to the data directory.
	recordings string
}

// Route maps the dialled user to a tenant: a tenant's number, then a
// tenant's ID, then the trunk's tenant, then the only tenant there is. The
// tenant's first agent answers.
func (p *phone) Route(_ context.Context, in sip.Inbound) (sip.Route, error) {
	user := normalizeNumber(in.User)
	rules := []func(t config.Tenant) bool{
		func(t config.Tenant) bool {
			return slices.ContainsFunc(t.Numbers, func(n string) bool { return normalizeNumber(n) == user })
		},
		func(t config.Tenant) bool { return t.ID == user },
		func(t config.Tenant) bool { return t.ID == in.TrunkTenant },
		func(config.Tenant) bool { return len(p.cfg.Tenants) == 1 },
	}
	for _, matches := range rules {
		if i := slices.IndexFunc(p.cfg.Tenants, matches); i >= 0 {
			t := p.cfg.Tenants[i]
			return sip.Route{Tenant: t.ID, Agent: t.Agents[0].Name}, nil
		}
	}
	return sip.Route{}, fmt.Errorf("number %q: %w", in.User, sip.ErrNoRoute)
}

// normalizeNumber drops the visual separators people write in numbers.
func normalizeNumber(s string) string {
	return strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "").Replace(s)
}

// ServeCall records the call as a conversation and runs the voice
// pipeline on it until the call ends.
func (p *phone) ServeCall(ctx context.Context, c *sip.Call) {
	route := c.Route()
	log := p.log.With("call_id", c.ID(), "tenant", route.Tenant)
	conv := store.Conversation{
		ID: c.ID(), TenantID: route.Tenant, Channel: "sip", Agent: route.Agent,
		StartedAt: c.StartedAt(),
	}
	if rel := c.RecordingPath(); rel != "" {
		conv.Recording = filepath.ToSlash(filepath.Join(p.recordings, rel))
	}
	if err := p.store.CreateConversation(ctx, conv); err != nil {
		log.Warn("call not recorded in the store", "err", err)
	}
	defer func() {
		if err := p.store.EndConversation(context.WithoutCancel(ctx), conv.ID, p.now()); err != nil {
			log.Warn("call end not stored", "err", err)
		}
	}()

	agent := p.agent(route)
	if p.asr == nil || p.vad == nil || p.tts == nil {
		p.greetOnly(ctx, c, log, agent)
		return
	}
	v, err := dialog.NewVoice(dialog.VoiceConfig{
		Line: c, Replier: p.engine, Recognizer: p.asr, Synthesizer: p.tts,
		NewDetector: func() (dialog.SpeechDetector, error) {
			return vad.NewDetector(p.vad, vad.Config{})
		},
		Store: p.store, TenantID: route.Tenant, Agent: agent, ConversationID: conv.ID,
		Channel: "sip", Codec: c.Codec().Name, CallStart: c.StartedAt(), Logger: log,
		Registerer: p.reg, TracerProvider: p.tracer,
	})
	if err != nil {
		log.Warn("voice pipeline not started, greeting only", "err", err)
		p.greetOnly(ctx, c, log, agent)
		return
	}
	c.SetAudioSink(v.PushAudio)
	defer c.SetAudioSink(nil)
	go forwardDTMF(ctx, c.DTMF(), v.PushDTMF)
	if err := v.Run(ctx); err != nil {
		log.Warn("voice pipeline ended", "err", err)
	}
}

// forwardDTMF hands the call's key presses to the pipeline until ctx ends.
func forwardDTMF(ctx context.Context, digits <-chan rune, push func(rune)) {
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-digits:
			push(d)
		}
	}
}

// agent returns the dialog agent a call was routed to.
func (p *phone) agent(r sip.Route) dialog.Agent {
	for _, a := range p.agents(r.Tenant) {
		if a.Name == r.Agent {
			return a
		}
	}
	return dialog.Agent{Name: r.Agent}
}

// greetOnly plays the greeting and keeps the call open without listening:
// what a call gets when no recognizer or voice activity detector works.
func (p *phone) greetOnly(ctx context.Context, c *sip.Call, log *slog.Logger, agent dialog.Agent) {
	if agent.Greeting != "" && p.tts != nil {
		if err := p.speak(ctx, c, agent); err != nil {
			log.Warn("greeting not played", "err", err)
		} else {
			p.appendTurn(ctx, log, c.ID(), store.Turn{Role: "assistant", Text: agent.Greeting,
				Mode: dialog.ModeGreeting})
		}
	}
	<-ctx.Done()
}

// speak synthesizes the agent's greeting and queues it at the pipeline rate.
func (p *phone) speak(ctx context.Context, c *sip.Call, agent dialog.Agent) error {
	stream, err := p.tts.Synthesize(ctx, tts.Request{Text: agent.Greeting, Language: agent.Language})
	if err != nil {
		return err
	}
	pcm, rate, err := tts.ReadAll(ctx, stream)
	if err != nil {
		return err
	}
	pcm, err = toPipelineRate(pcm, rate)
	if err != nil {
		return err
	}
	c.Playout().Enqueue(pcm)
	return nil
}

func (p *phone) appendTurn(ctx context.Context, log *slog.Logger, id string, t store.Turn) {
	t.At = p.now()
	if err := p.store.AppendTurns(ctx, id, []store.Turn{t}); err != nil {
		log.Warn("turn not stored", "err", err)
	}
}

// toPipelineRate resamples whole-utterance audio to media.PipelineRate.
func toPipelineRate(pcm []int16, rate int) ([]int16, error) {
	if rate == media.PipelineRate {
		return pcm, nil
	}
	r, err := media.NewResampler(rate, media.PipelineRate)
	if err != nil {
		return nil, err
	}
	out := make([]int16, r.OutputLen(len(pcm)))
	n := r.Resample(out, pcm)
	return out[:n], nil
}
