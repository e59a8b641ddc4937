package sip

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Call outcomes, the values of voiced_sip_calls_total's label.
const (
	outcomeAnswered      = "answered"
	outcomeRejectedAuth  = "rejected_auth"
	outcomeChallenged    = "challenged"
	outcomeRejectedBusy  = "rejected_busy"
	outcomeDraining      = "rejected_draining"
	outcomeNoRoute       = "no_route"
	outcomeNotAcceptable = "not_acceptable"
	outcomeBadRequest    = "bad_request"
	outcomeCancelled     = "cancelled"
	outcomeFailed        = "failed"
)

// metrics are the server's Prometheus collectors; every label has a
// small, fixed set of values.
type metrics struct {
	requests     *prometheus.CounterVec
	responses    *prometheus.CounterVec
	callsActive  prometheus.Gauge
	calls        *prometheus.CounterVec
	setup        prometheus.Histogram
	authFailures prometheus.Counter
	malformed    prometheus.Counter
	panics       prometheus.Counter
	registered   *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiced_sip_requests_total",
			Help: "SIP requests received, by method.",
		}, []string{"method"}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiced_sip_responses_total",
			Help: "SIP responses the server's handlers sent, by status code.",
		}, []string{"code"}),
		callsActive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "voiced_sip_calls_active",
			Help: "Calls being set up or answered right now.",
		}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiced_sip_calls_total",
			Help: "Incoming calls, by outcome.",
		}, []string{"outcome"}),
		setup: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "voiced_sip_call_setup_seconds",
			Help:    "Time from INVITE received to 200 OK sent.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voiced_sip_auth_failures_total",
			Help: "Requests refused for their source or credentials.",
		}),
		malformed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voiced_sip_malformed_messages_total",
			Help: "Messages dropped because they did not parse.",
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voiced_sip_handler_panics_total",
			Help: "Requests whose handler panicked; each got 500.",
		}),
		registered: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "voiced_sip_trunk_registered",
			Help: "1 while the trunk's outbound registration is in force.",
		}, []string{"trunk"}),
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	for _, c := range []prometheus.Collector{m.requests, m.responses, m.callsActive, m.calls,
		m.setup, m.authFailures, m.malformed, m.panics, m.registered} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// knownMethods bounds the method label: anything else counts as "other".
var knownMethods = map[string]bool{
	"INVITE": true, "ACK": true, "CANCEL": true, "BYE": true, "OPTIONS": true,
	"INFO": true, "NOTIFY": true, "REFER": true, "REGISTER": true, "SUBSCRIBE": true,
	"MESSAGE": true, "UPDATE": true, "PRACK": true, "PUBLISH": true,
}

func (m *metrics) request(method string) {
	if !knownMethods[method] {
		method = "other"
	}
	m.requests.WithLabelValues(method).Inc()
}

func (m *metrics) response(code int) {
	m.responses.WithLabelValues(strconv.Itoa(code)).Inc()
}
