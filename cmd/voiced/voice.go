package main

import (
	"context"
	"fmt"
	"time"

	"github.com/voiced/voiced/asr"
	asropenai "github.com/voiced/voiced/asr/openai"
	asrqwen "github.com/voiced/voiced/asr/qwen"
	"github.com/voiced/voiced/asr/sphinx"
	"github.com/voiced/voiced/tts"
	"github.com/voiced/voiced/tts/espeak"
	"github.com/voiced/voiced/tts/flite"
	ttsqwen "github.com/voiced/voiced/tts/qwen"
)

// synthesizer builds the configured TTS backend behind a cache, so that
// texts spoken on every call (greetings, re-prompts) are synthesized once.
func (n *node) synthesizer() (tts.Synthesizer, error) {
	e := n.cfg.Models.TTS
	var s tts.Synthesizer
	var err error
	switch e.Backend {
	case "", "none":
		return nil, nil
	case "flite":
		s, err = flite.New(flite.Config{Voice: e.Voice, Timeout: time.Duration(e.Timeout)})
	case "espeak":
		s, err = espeak.New(espeak.Config{Variant: e.Voice, Timeout: time.Duration(e.Timeout)})
	case "qwen", "mlx":
		cfg := ttsqwen.Config{URL: e.URL, Model: e.Model, APIKey: e.APIKey, Voice: e.Voice,
			Timeout: time.Duration(e.Timeout), FirstByteTimeout: time.Duration(e.FirstTokenTimeout)}
		if e.Backend == "mlx" {
			cfg.Server = ttsqwen.MLXAudio
		}
		s, err = ttsqwen.New(cfg)
	default:
		err = fmt.Errorf("unknown backend %q", e.Backend)
	}
	if err != nil {
		return nil, fmt.Errorf("tts: %w", err)
	}
	return tts.NewCache(tts.CacheConfig{Synthesizer: s})
}

// recognizer builds the configured ASR backend. The local recognizer is
// biased toward every tenant's knowledge base, which it reads from the
// store, so it is built after ingestion.
func (n *node) recognizer(ctx context.Context) (asr.Recognizer, error) {
	e := n.cfg.Models.ASR
	timeout := time.Duration(e.Timeout)
	switch e.Backend {
	case "", "none":
		return nil, nil
	case "sphinx":
		corpus, err := n.corpus(ctx)
		if err != nil {
			return nil, err
		}
		r, err := sphinx.New(sphinx.Config{Corpus: corpus, Logger: n.log})
		if err != nil {
			return nil, fmt.Errorf("asr: %w", err)
		}
		return r, nil
	case "qwen":
		r, err := asrqwen.New(asrqwen.Config{URL: e.URL, Model: e.Model, APIKey: e.APIKey,
			Timeout: timeout, Logger: n.log})
		if err != nil {
			return nil, fmt.Errorf("asr: %w", err)
		}
		return r, nil
	case "openai", "mlx":
		cfg := asropenai.Config{URL: e.URL, Model: e.Model, APIKey: e.APIKey, Timeout: timeout}
		if e.Backend == "mlx" {
			cfg.Dialect = asropenai.DialectMLX
		}
		r, err := asropenai.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("asr: %w", err)
		}
		return r, nil
	}
	return nil, fmt.Errorf("asr: unknown backend %q", e.Backend)
}

// corpus is the text of every tenant's knowledge base.
func (n *node) corpus(ctx context.Context) ([]string, error) {
	var texts []string
	for _, t := range n.cfg.Tenants {
		chunks, err := n.store.Chunks(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("asr corpus of %s: %w", t.ID, err)
		}
		for _, c := range chunks {
			texts = append(texts, c.Heading+"\n"+c.Text)
		}
	}
	return texts, nil
}
