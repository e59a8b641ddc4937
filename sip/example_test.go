package sip_test

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"syscall"

	"github.com/voiced/voiced/sip"
)

// greeter answers every number of one tenant.
type greeter struct{}

func (greeter) Route(ctx context.Context, in sip.Inbound) (sip.Route, error) {
	if in.TrunkTenant == "" {
		return sip.Route{}, sip.ErrNoRoute
	}
	return sip.Route{Tenant: in.TrunkTenant, Agent: "main"}, nil
}

func (greeter) ServeCall(ctx context.Context, c *sip.Call) {
	c.SetAudioSink(func(pcm []int16) {}) // caller audio, 20 ms at 16 kHz
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-c.DTMF():
			if d == '0' {
				c.Transfer(ctx, "100")
			}
		}
	}
}

// A server that trusts one PBX and drains on SIGTERM.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	s, err := sip.New(sip.Config{
		Listen:        "0.0.0.0:5060",
		RecordingsDir: "/var/lib/voiced/recordings",
		Trunks: []sip.Trunk{{Name: "pbx", Tenant: "demo",
			Allow: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}},
		Handler: greeter{},
	})
	if err != nil {
		slog.Error("sip", "err", err)
		os.Exit(1)
	}
	if err := s.ListenAndServe(ctx); err != nil {
		slog.Error("sip", "err", err)
	}
}
