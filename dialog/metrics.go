package dialog

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the engine's Prometheus collectors.
type metrics struct {
	replies    *prometheus.CounterVec
	llmErrors  *prometheus.CounterVec
	firstToken *prometheus.HistogramVec
	fallbacks  *prometheus.CounterVec
}

// newMetrics builds the collectors and registers them with reg unless it
// is nil. Collectors already registered by another engine are shared.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialog_replies_total",
			Help: "Answers given, by how they were produced.",
		}, []string{"mode"}),
		llmErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialog_llm_errors_total",
			Help: "Failed LLM requests, by endpoint and kind of failure.",
		}, []string{"endpoint", "kind"}),
		firstToken: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dialog_llm_first_token_seconds",
			Help:    "Time from sending an LLM request to its first token.",
			Buckets: []float64{0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10},
		}, []string{"endpoint"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dialog_fallbacks_total",
			Help: "Answers passed from a failed LLM to the next step of the chain " +
				`("partial" when the LLM failed after answering in part).`,
		}, []string{"from", "to"}),
	}
	if reg == nil {
		return m, nil
	}

	var err error
	m.replies, err = register(reg, m.replies)
	if err == nil {
		m.llmErrors, err = register(reg, m.llmErrors)
	}
	if err == nil {
		m.firstToken, err = register(reg, m.firstToken)
	}
	if err == nil {
		m.fallbacks, err = register(reg, m.fallbacks)
	}
	return m, err
}

// register registers c, or returns the equal collector registered before.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
