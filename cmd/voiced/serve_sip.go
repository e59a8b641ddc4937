package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/voiced/voiced/config"
	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/sip"
)

// recordingsDir is where call recordings live, relative to the data
// directory; conversations store paths relative to the data directory.
const recordingsDir = "recordings"

// telephony is the SIP side of a serving node: the shared media clock and
// the SIP server with its calls.
type telephony struct {
	server *sip.Server
	phone  *phone
	stop   context.CancelFunc
	done   chan struct{} // closed when the media clock has stopped
}

// startSIP repairs recordings a crash left behind, then starts the media
// clock and the SIP server on the configured listener.
func (n *node) startSIP(ctx context.Context, reg prometheus.Registerer) (*telephony, error) {
	s := n.cfg.SIP
	recordings := filepath.Join(n.cfg.DataDir, recordingsDir)
	if repaired, err := media.RepairRecordings(recordings); err != nil {
		n.log.Warn("recordings not checked", "err", err)
	} else if repaired > 0 {
		n.log.Warn("repaired recordings of interrupted calls", "count", repaired)
	}

	ip, err := listenIP(s.Listen)
	if err != nil {
		return nil, err
	}
	lo, hi := s.RTPPortRange()
	ports, err := media.NewPorts(ip, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("rtp ports: %w", err)
	}
	handler, err := n.newPhone(ctx, reg)
	if err != nil {
		return nil, err
	}

	clockCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	t := &telephony{phone: handler, stop: stop, done: make(chan struct{})}
	clock := media.NewClock()
	go func() {
		defer close(t.done)
		clock.Run(clockCtx)
	}()

	cfg := sip.Config{
		Listen: s.Listen, Ports: ports, Clock: clock, Metrics: media.NewMetrics(reg),
		MaxCalls: s.MaxCalls, NoRTPTimeout: time.Duration(s.NoRTPTimeout),
		DrainGrace: time.Duration(s.DrainGrace), Trunks: trunks(s.Trunks),
		Handler: handler,
		Logger:  n.log, Registerer: reg,
	}
	if cfg.Codecs, err = codecs(s.Codecs); err != nil {
		t.close()
		return nil, err
	}
	if s.Recording() {
		cfg.RecordingsDir = recordings
	}
	if s.PublicAddress != "" {
		cfg.PublicAddr = netip.MustParseAddr(s.PublicAddress)
	}
	if s.TLS.Listen != "" {
		cfg.TLS = &sip.TLSConfig{Listen: s.TLS.Listen, CertFile: s.TLS.CertFile, KeyFile: s.TLS.KeyFile}
	}
	if t.server, err = sip.New(cfg); err != nil {
		t.close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	if err := t.server.ServeBackground(ctx); err != nil {
		t.close()
		return nil, fmt.Errorf("sip: %w", err)
	}
	return t, nil
}

// drain lets running calls finish within the configured grace, then stops
// everything the telephony side runs.
func (t *telephony) drain(ctx context.Context) error {
	err := t.server.Shutdown(ctx)
	t.close()
	return err
}

func (t *telephony) close() {
	t.stop()
	<-t.done
	t.phone.close()
}

func trunks(in []config.Trunk) []sip.Trunk {
	out := make([]sip.Trunk, len(in))
	for i, t := range in {
		out[i] = sip.Trunk{Name: t.Name, Allow: t.AllowPrefixes(), Username: t.Username,
			Password: t.Password, Tenant: t.Tenant}
		if r := t.Register; r != nil {
			out[i].Register = &sip.Registration{Registrar: r.Registrar, Username: t.Username,
				Password: t.Password, Domain: r.Domain, Expires: time.Duration(r.Expires)}
		}
	}
	return out
}

// codecs maps the configured codec names to media's codecs; none means
// media's own preference.
func codecs(names []string) ([]media.Codec, error) {
	var out []media.Codec
	for _, name := range names {
		rate := 8000
		if strings.EqualFold(name, "opus") {
			rate = 48000
		}
		c, ok := media.LookupCodec(name, rate)
		if !ok {
			return nil, fmt.Errorf("sip.codecs: %q is not supported", name)
		}
		out = append(out, c)
	}
	return out, nil
}

// listenIP is the IP of a host:port listen address, for binding RTP ports
// on the same interface as SIP.
func listenIP(addr string) (netip.Addr, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("sip listen %q: %w", addr, err)
	}
	if host == "" {
		return netip.IPv4Unspecified(), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("sip listen %q: the host must be an IP address", addr)
	}
	return ip, nil
}
