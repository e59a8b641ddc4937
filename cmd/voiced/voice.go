package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/voiced/voiced/asr"
	asropenai "github.com/voiced/voiced/asr/openai"
	asrqwen "github.com/voiced/voiced/asr/qwen"
	"github.com/voiced/voiced/asr/sphinx"
	"github.com/voiced/voiced/config"
	"github.com/voiced/voiced/tts"
	"github.com/voiced/voiced/tts/espeak"
	"github.com/voiced/voiced/tts/flite"
	ttsqwen "github.com/voiced/voiced/tts/qwen"
	"github.com/voiced/voiced/vad"
)

// newPhone builds the call handler with the voice pipeline's parts. A part
// that cannot start (no ONNX Runtime, no recognizer configured) leaves
// calls with the greeting only, and says so.
func (n *node) newPhone(ctx context.Context, reg prometheus.Registerer) (*phone, error) {
	p := &phone{cfg: n.cfg, store: n.store, engine: n.engine, agents: n.agents, log: n.log,
		reg: reg, tracer: n.tracer, now: time.Now, recordings: recordingsDir}
	var err error
	if p.tts, err = n.synthesizer(); err != nil {
		return nil, err
	}
	if p.asr, err = n.recognizer(ctx); err != nil {
		return nil, err
	}
	p.vad, err = loadVAD()
	if err != nil {
		n.log.Warn("voice activity detection unavailable: calls hear the greeting only", "err", err)
	}
	if p.asr == nil {
		n.log.Warn("no models.asr configured: calls hear the greeting only")
	}
	return p, nil
}

// loadVAD loads ONNX Runtime and the Silero model, from VOICED_ORT_LIB and
// VOICED_VAD_MODEL or the .cache folder scripts/setup.sh fills.
func loadVAD() (*vad.Model, error) {
	lib, err := vad.LocateLibrary()
	if err != nil {
		return nil, err
	}
	model, err := vad.LocateModel()
	if err != nil {
		return nil, err
	}
	return vad.NewModel(vad.ModelConfig{LibraryPath: lib, ModelPath: model})
}

// close releases the pipeline's models.
func (p *phone) close() {
	if c, ok := p.asr.(io.Closer); ok {
		c.Close()
	}
	if p.vad != nil {
		p.vad.Close()
	}
}

// synthesizer builds the configured TTS backend, chained to its built-in
// fallback when one is configured, behind a cache, so that texts spoken on
// every call (greetings, re-prompts) are synthesized once.
func (n *node) synthesizer() (tts.Synthesizer, error) {
	e := n.cfg.Models.TTS
	if !e.Enabled() {
		return nil, nil
	}
	s, err := newSynthesizer(e)
	if err != nil {
		return nil, fmt.Errorf("tts: %w", err)
	}
	if e.Fallback != "" {
		fb, err := newSynthesizer(config.Endpoint{Backend: e.Fallback})
		if err != nil {
			return nil, fmt.Errorf("tts fallback: %w", err)
		}
		if s, err = tts.NewChain(tts.ChainConfig{Synthesizers: []tts.Synthesizer{s, fb}}); err != nil {
			return nil, err
		}
	}
	return tts.NewCache(tts.CacheConfig{Synthesizer: s})
}

func newSynthesizer(e config.Endpoint) (tts.Synthesizer, error) {
	switch e.Backend {
	case "flite":
		return flite.New(flite.Config{Voice: e.Voice, Timeout: time.Duration(e.Timeout)})
	case "espeak":
		return espeak.New(espeak.Config{Variant: e.Voice, Timeout: time.Duration(e.Timeout)})
	case "qwen", "mlx":
		cfg := ttsqwen.Config{URL: e.URL, Model: e.Model, APIKey: e.APIKey, Voice: e.Voice,
			Timeout: time.Duration(e.Timeout), FirstByteTimeout: time.Duration(e.FirstTokenTimeout)}
		if e.Backend == "mlx" {
			cfg.Server = ttsqwen.MLXAudio
		}
		return ttsqwen.New(cfg)
	}
	return nil, fmt.Errorf("unknown backend %q", e.Backend)
}

// recognizer builds the configured ASR backend, chained to its built-in
// fallback when one is configured. The local recognizer is biased toward
// every tenant's knowledge base, which it reads from the store, so it is
// built after ingestion.
func (n *node) recognizer(ctx context.Context) (asr.Recognizer, error) {
	e := n.cfg.Models.ASR
	if !e.Enabled() {
		return nil, nil
	}
	r, err := n.newRecognizer(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("asr: %w", err)
	}
	if e.Fallback == "" {
		return r, nil
	}
	fb, err := n.newRecognizer(ctx, config.Endpoint{Backend: e.Fallback})
	if err != nil {
		return nil, fmt.Errorf("asr fallback: %w", err)
	}
	return asr.NewChain(asr.ChainConfig{Recognizers: []asr.Recognizer{r, fb}})
}

func (n *node) newRecognizer(ctx context.Context, e config.Endpoint) (asr.Recognizer, error) {
	timeout := time.Duration(e.Timeout)
	switch e.Backend {
	case "sphinx":
		corpus, err := n.corpus(ctx)
		if err != nil {
			return nil, err
		}
		return sphinx.New(sphinx.Config{Corpus: corpus, Logger: n.log})
	case "qwen":
		return asrqwen.New(asrqwen.Config{URL: e.URL, Model: e.Model, APIKey: e.APIKey,
			Timeout: timeout, Logger: n.log})
	case "openai", "mlx":
		cfg := asropenai.Config{URL: e.URL, Model: e.Model, APIKey: e.APIKey, Timeout: timeout}
		if e.Backend == "mlx" {
			cfg.Dialect = asropenai.DialectMLX
		}
		return asropenai.New(cfg)
	}
	return nil, fmt.Errorf("unknown backend %q", e.Backend)
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
