package media

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestNilMetricsIsSafe(t *testing.T) {
	var m *Metrics
	m.streamStarted()
	m.streamEnded()
	m.overrun()
	m.observeJitter(time.Millisecond)
	m.add(&counterSnapshot{packetsIn: 1})
}

// gathered returns the value of the sample of family name whose labels
// include all of labels (a histogram gives its count).
func gathered(t *testing.T, reg *prometheus.Registry, name string,
	labels ...string,
) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || lp.GetName() == labels[i] && lp.GetValue() == labels[i+1]
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	t.Fatalf("no sample %s%v", name, labels)
	return 0
}

func TestMetricsAdd(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	d := counterSnapshot{packetsIn: 3, packetsOut: 2, bytesIn: 300, lost: 1}
	d.dropped[dropBadSource] = 4
	m.add(&d)
	m.add(&d)
	m.streamStarted()
	m.overrun()
	m.observeJitter(3 * time.Millisecond)

	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"voiced_rtp_packets_total", []string{"direction", "in"}, 6},
		{"voiced_rtp_packets_total", []string{"direction", "out"}, 4},
		{"voiced_rtp_bytes_total", []string{"direction", "in"}, 600},
		{"voiced_rtp_lost_packets_total", nil, 2},
		{"voiced_rtp_late_packets_total", nil, 0},
		{"voiced_rtp_dropped_packets_total", []string{"reason", "bad_source"}, 8},
		{"voiced_rtp_dropped_packets_total", []string{"reason", "srtp"}, 0},
		{"voiced_media_streams", nil, 1},
		{"voiced_media_clock_overruns_total", nil, 1},
		{"voiced_rtp_jitter_seconds", nil, 1},
	}
	for _, tt := range tests {
		if got := gathered(t, reg, tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
}

func newTestRegistry() *prometheus.Registry { return prometheus.NewRegistry() }
