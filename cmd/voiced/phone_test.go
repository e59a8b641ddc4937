package main

import (
	"errors"
	"testing"

	"github.com/voiced/voiced/config"
	"github.com/voiced/voiced/sip"
)

func TestPhoneRoutesNumbersToTenants(t *testing.T) {
	cfg := &config.Config{Tenants: []config.Tenant{
		{ID: "water", Numbers: []string{"+49 30 123-456"}, Agents: []config.Agent{{Name: "w"}}},
		{ID: "power", Numbers: []string{"200"}, Agents: []config.Agent{{Name: "p1"}, {Name: "p2"}}},
	}}
	p := &phone{cfg: cfg}
	tests := []struct {
		user, trunkTenant string
		want              string
	}{
		{"+4930123456", "", "water"},
		{"200", "water", "power"},
		{"power", "", "power"},
		{"999", "water", "water"},
		{"999", "", ""},
	}
	for _, tt := range tests {
		got, err := p.Route(t.Context(), sip.Inbound{User: tt.user, TrunkTenant: tt.trunkTenant})
		if tt.want == "" {
			if !errors.Is(err, sip.ErrNoRoute) {
				t.Errorf("Route(%q) = %+v, %v; want ErrNoRoute", tt.user, got, err)
			}
			continue
		}
		if err != nil || got.Tenant != tt.want {
			t.Errorf("Route(%q, trunk %q) = %+v, %v; want tenant %s", tt.user, tt.trunkTenant,
				got, err, tt.want)
		}
	}
	if got, _ := p.Route(t.Context(), sip.Inbound{User: "200"}); got.Agent != "p1" {
		t.Errorf("agent = %q, want the tenant's first agent p1", got.Agent)
	}

	single := &phone{cfg: &config.Config{Tenants: cfg.Tenants[:1]}}
	if got, err := single.Route(t.Context(), sip.Inbound{User: "anything"}); err != nil ||
		got.Tenant != "water" {
		t.Errorf("single tenant: got %+v, %v; want every number to reach it", got, err)
	}
}

func TestCodecNamesMapToMedia(t *testing.T) {
	got, err := codecs([]string{"g722", "opus", "PCMA"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Name != "G722" || got[1].ClockRate != 48000 || got[2].PayloadType != 8 {
		t.Fatalf("codecs = %+v", got)
	}
	if _, err := codecs([]string{"G729"}); err == nil {
		t.Fatal("G729 accepted")
	}
}
