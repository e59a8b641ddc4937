package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/voiced/voiced/config"
	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/sip"
	"github.com/voiced/voiced/store"
	"github.com/voiced/voiced/tts"
)

// phone answers SIP calls for the configured tenants. It routes dialled
// numbers to tenants, keeps each call's conversation in the store and,
// until the voice pipeline listens to the caller, speaks the agent's
// greeting while the call is recorded.
type phone struct {
	cfg   *config.Config
	store store.Store
	tts   tts.Synthesizer // nil: calls are answered silently
	log   *slog.Logger
	now   func() time.Time
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

// ServeCall records the call as a conversation, plays the greeting and
// waits for the call to end.
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

	if text := p.agent(route).Greeting; text != "" && p.tts != nil {
		if err := p.speak(ctx, c, text); err != nil {
			log.Warn("greeting not played", "err", err)
		} else {
			p.appendTurn(ctx, log, conv.ID, store.Turn{Role: "assistant", Text: text, Mode: "greeting"})
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-c.DTMF():
			log.Debug("dtmf", "digit", string(d))
		}
	}
}

// agent returns the configuration of the agent a call was routed to.
func (p *phone) agent(r sip.Route) config.Agent {
	for _, t := range p.cfg.Tenants {
		for _, a := range t.Agents {
			if t.ID == r.Tenant && a.Name == r.Agent {
				return a
			}
		}
	}
	return config.Agent{}
}

// speak synthesizes text and queues it on the call at the pipeline rate.
func (p *phone) speak(ctx context.Context, c *sip.Call, text string) error {
	lang := p.agent(c.Route()).Language
	stream, err := p.tts.Synthesize(ctx, tts.Request{Text: text, Language: lang})
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
