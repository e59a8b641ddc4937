package media

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// dropReason says why the receive path discarded a packet. Each reason is
// one value of the reason label of voiced_rtp_dropped_packets_total.
type dropReason uint8

const (
	// dropBadVersion: the RTP version field was not 2 (RFC 3550 section
	// 5.1).
	dropBadVersion dropReason = iota
	// dropMalformed: shorter than a header, or CSRC list, extension or
	// padding running past the end of the packet.
	dropMalformed
	// dropBadSource: from an address other than the latched peer.
	dropBadSource
	// dropUnknownPayloadType: neither the audio nor the telephone-event
	// payload type agreed in SDP.
	dropUnknownPayloadType
	// dropSRTP: failed SRTP authentication or replay check (RFC 3711
	// section 3.3).
	dropSRTP
	// dropDuplicate: a sequence number already held by the jitter buffer.
	dropDuplicate
	// dropOverflow: audio the jitter buffer skipped because the sender ran
	// ahead of the target delay.
	dropOverflow
	// dropTooLarge: a payload larger than a jitter buffer slot.
	dropTooLarge
	// dropSequence: a sequence number jump not yet confirmed by the
	// packet after it (RFC 3550 appendix A.1).
	dropSequence
	// dropDecode: a payload the decoder rejected; it is concealed.
	dropDecode

	numDropReasons
)

// dropReasonNames are the label values, indexed by dropReason.
var dropReasonNames = [numDropReasons]string{
	"bad_version",
	"malformed",
	"bad_source",
	"unknown_payload_type",
	"srtp",
	"duplicate",
	"overflow",
	"too_large",
	"bad_sequence",
	"decode_error",
}

// String returns the metric label value of r.
func (r dropReason) String() string {
	if r >= numDropReasons {
		return "unknown"
	}
	return dropReasonNames[r]
}

// Metrics are the Prometheus collectors shared by all streams of a
// process. They are aggregates without per-call labels, so their
// cardinality stays fixed however many calls run. A nil *Metrics is valid
// and counts nothing.
type Metrics struct {
	packetsIn, packetsOut prometheus.Counter
	bytesIn, bytesOut     prometheus.Counter
	lost, late            prometheus.Counter
	dropped               [numDropReasons]prometheus.Counter
	jitter                prometheus.Histogram
	streams               prometheus.Gauge
	overruns              prometheus.Counter
}

// NewMetrics creates the media collectors and registers them with reg; a
// nil reg leaves them unregistered. Like promauto, it panics if reg
// already holds collectors of the same names.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	packets := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "voiced_rtp_packets_total",
		Help: "RTP packets received (direction=in) and sent (direction=out).",
	}, []string{"direction"})
	bytes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "voiced_rtp_bytes_total",
		Help: "RTP bytes on the wire, headers included, by direction.",
	}, []string{"direction"})
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "voiced_rtp_dropped_packets_total",
		Help: "Received RTP packets discarded, by reason.",
	}, []string{"reason"})
	m := &Metrics{
		packetsIn:  packets.WithLabelValues("in"),
		packetsOut: packets.WithLabelValues("out"),
		bytesIn:    bytes.WithLabelValues("in"),
		bytesOut:   bytes.WithLabelValues("out"),
		lost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voiced_rtp_lost_packets_total",
			Help: "Received RTP packets missing when due for playout.",
		}),
		late: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voiced_rtp_late_packets_total",
			Help: "Received RTP packets that arrived after their playout time.",
		}),
		jitter: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "voiced_rtp_jitter_seconds",
			Help: "Interarrival jitter (RFC 3550 section 6.4.1) of streams, " +
				"observed every few seconds and when a stream ends.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .04, .08, .16, .32},
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "voiced_media_streams",
			Help: "RTP streams running.",
		}),
		overruns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voiced_media_clock_overruns_total",
			Help: "Media clock ticks that started late or took longer than a frame.",
		}),
	}
	for r := range numDropReasons {
		m.dropped[r] = dropped.WithLabelValues(r.String())
	}

	if reg != nil {
		reg.MustRegister(packets, bytes, dropped, m.lost, m.late, m.jitter,
			m.streams, m.overruns)
	}
	return m
}

// streamStarted and streamEnded move the running-streams gauge.
func (m *Metrics) streamStarted() {
	if m != nil {
		m.streams.Inc()
	}
}

func (m *Metrics) streamEnded() {
	if m != nil {
		m.streams.Dec()
	}
}

// overrun counts one late or overlong clock tick.
func (m *Metrics) overrun() {
	if m != nil {
		m.overruns.Inc()
	}
}

// observeJitter records one stream's current jitter estimate.
func (m *Metrics) observeJitter(j time.Duration) {
	if m != nil {
		m.jitter.Observe(j.Seconds())
	}
}

// add publishes the growth of one stream's counters since its last call.
// Streams call it about once a second rather than per packet, so that
// thousands of streams do not contend on the same cache lines.
func (m *Metrics) add(d *counterSnapshot) {
	if m == nil {
		return
	}
	addNonZero(m.packetsIn, d.packetsIn)
	addNonZero(m.packetsOut, d.packetsOut)
	addNonZero(m.bytesIn, d.bytesIn)
	addNonZero(m.bytesOut, d.bytesOut)
	addNonZero(m.lost, d.lost)
	addNonZero(m.late, d.late)
	for r, n := range d.dropped {
		addNonZero(m.dropped[r], n)
	}
}

func addNonZero(c prometheus.Counter, n uint64) {
	if n != 0 {
		c.Add(float64(n))
	}
}
