package web

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	authFailures prometheus.Counter
	badRequests  *prometheus.CounterVec
	unrecorded   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiced_http_requests_total",
			Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "voiced_http_request_seconds",
			Help:    "HTTP request duration by route, including streamed replies.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"route"}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voiced_http_auth_failures_total",
			Help: "Requests with an unknown API key.",
		}),
		badRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voiced_chat_rejected_total",
			Help: "Chat requests rejected before reaching the engine, by reason.",
		}, []string{"reason"}),
		unrecorded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voiced_chat_unrecorded_total",
			Help: "Chat answers given whose turn could not be stored.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.authFailures, m.badRequests, m.unrecorded)
	return m
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}
