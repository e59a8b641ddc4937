package config

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// SIP configures the telephony listener, the RTP media ports and the trunks
// that may call in.
type SIP struct {
	// Listen is the UDP and TCP address, "127.0.0.1:5060" by default;
	// `serve --sip` overrides it.
	Listen string `yaml:"listen"`
	// PublicAddress is the IP written into SDP and Contact headers when it
	// differs from the listen address (NAT, 0.0.0.0).
	PublicAddress string `yaml:"public_address"`
	// TLS enables SIP over TLS, with SRTP required on its calls.
	TLS SIPTLS `yaml:"tls"`
	// RTPPorts is the media port range, "20000-20999" by default.
	RTPPorts string `yaml:"rtp_ports"`
	// Codecs are the audio codecs answered with, in order of preference;
	// "opus, G722, PCMU, PCMA" by default. G.722 costs a tenth of Opus's
	// CPU per call, so a node short of CPU may prefer it.
	Codecs []string `yaml:"codecs"`
	// MaxCalls bounds concurrent calls; past it INVITEs get 503.
	MaxCalls int `yaml:"max_calls"`
	// NoRTPTimeout ends a call whose peer stopped sending media.
	NoRTPTimeout Duration `yaml:"no_rtp_timeout"`
	// DrainGrace is how long running calls may continue after SIGTERM.
	DrainGrace Duration `yaml:"drain_grace"`
	// Record writes a stereo WAV of every call; on by default.
	Record *bool `yaml:"record"`
	// Trunks are the peers allowed to call in, and those voiced registers
	// with. Without any trunk every INVITE is refused.
	Trunks []Trunk `yaml:"trunks"`

	// rtpMin and rtpMax are RTPPorts parsed by validate.
	rtpMin, rtpMax int
}

// SIPTLS is the TLS listener of SIP.
type SIPTLS struct {
	Listen   string `yaml:"listen"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Trunk is one SIP peer: a carrier's trunk, a PBX or a group of softphones.
type Trunk struct {
	Name string `yaml:"name"`
	// Allow lists source addresses or CIDR prefixes accepted without
	// credentials.
	Allow []string `yaml:"allow"`
	// Username enables digest authentication of inbound calls; the password
	// comes from PasswordFile or VOICED_TRUNK_<NAME>_PASSWORD.
	Username     string `yaml:"username"`
	Password     string `yaml:"-"`
	PasswordFile string `yaml:"password_file"`
	// Tenant answers calls from this trunk whose number maps to no tenant.
	Tenant string `yaml:"tenant"`
	// Register, when set, keeps voiced registered with the trunk.
	Register *Register `yaml:"register"`
}

// Register is an outbound registration; it authenticates with the trunk's
// username and password.
type Register struct {
	// Registrar is a SIP URI such as "sip:sip.example.net:5060".
	Registrar string `yaml:"registrar"`
	// Domain is the registration's domain; the registrar's host by default.
	Domain  string   `yaml:"domain"`
	Expires Duration `yaml:"expires"`
}

// RTPPortRange returns the validated media port range.
func (s SIP) RTPPortRange() (min, max int) { return s.rtpMin, s.rtpMax }

// Recording reports whether calls are recorded.
func (s SIP) Recording() bool { return s.Record == nil || *s.Record }

// AllowPrefixes parses the trunk's allow list; validate has checked it.
func (t Trunk) AllowPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, a := range t.Allow {
		if p, err := parsePrefix(a); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func (s *SIP) fillDefaults(c *Config) {
	if s.Listen == "" {
		s.Listen = "127.0.0.1:5060"
	}
	if s.RTPPorts == "" {
		s.RTPPorts = "20000-20999"
	}
	if s.MaxCalls == 0 {
		s.MaxCalls = 200
	}
	if s.NoRTPTimeout == 0 {
		s.NoRTPTimeout = Duration(30e9)
	}
	if s.DrainGrace == 0 {
		s.DrainGrace = Duration(30e9)
	}
	s.TLS.CertFile = c.Resolve(s.TLS.CertFile)
	s.TLS.KeyFile = c.Resolve(s.TLS.KeyFile)
}

func (s *SIP) validate(c *Config, bad func(field, format string, args ...any)) {
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		bad("sip.listen", "%q is not host:port", s.Listen)
	}
	if s.PublicAddress != "" {
		if _, err := netip.ParseAddr(s.PublicAddress); err != nil {
			bad("sip.public_address", "%q is not an IP address", s.PublicAddress)
		}
	}
	if (s.TLS.Listen != "") != (s.TLS.CertFile != "" && s.TLS.KeyFile != "") {
		bad("sip.tls", "listen, cert_file and key_file go together")
	}
	lo, hi, err := parsePortRange(s.RTPPorts)
	if err != nil {
		bad("sip.rtp_ports", "%v", err)
	}
	s.rtpMin, s.rtpMax = lo, hi
	for _, name := range s.Codecs {
		if !slices.ContainsFunc(sipCodecs, func(c string) bool { return strings.EqualFold(c, name) }) {
			bad("sip.codecs", "%q is not one of %s", name, strings.Join(sipCodecs, ", "))
		}
	}
	if s.MaxCalls < 0 || s.NoRTPTimeout < 0 || s.DrainGrace < 0 {
		bad("sip", "max_calls, no_rtp_timeout and drain_grace must not be negative")
	}

	tenants := map[string]bool{}
	for _, t := range c.Tenants {
		tenants[t.ID] = true
	}
	names := map[string]bool{}
	for i, t := range s.Trunks {
		field := fmt.Sprintf("sip.trunks[%d]", i)
		if t.Name == "" || names[t.Name] {
			bad(field+".name", "%q is empty or used twice", t.Name)
		}
		names[t.Name] = true
		for _, a := range t.Allow {
			if _, err := parsePrefix(a); err != nil {
				bad(field+".allow", "%q is not an IP address or CIDR prefix", a)
			}
		}
		if t.Username != "" && t.Password == "" {
			bad(field+".password_file", "required with username (or set VOICED_TRUNK_%s_PASSWORD)",
				envName(t.Name))
		}
		if len(t.Allow) == 0 && t.Username == "" {
			bad(field, "needs allow or username: it would accept nobody")
		}
		if t.Tenant != "" && !tenants[t.Tenant] {
			bad(field+".tenant", "%q is not a configured tenant", t.Tenant)
		}
		if r := t.Register; r != nil {
			if !strings.HasPrefix(r.Registrar, "sip:") && !strings.HasPrefix(r.Registrar, "sips:") {
				bad(field+".register.registrar", "%q is not a sip: URI", r.Registrar)
			}
			if t.Username == "" {
				bad(field+".register", "needs the trunk's username and password")
			}
		}
	}
}

// sipCodecs are the audio codecs voiced speaks over RTP.
var sipCodecs = []string{"opus", "G722", "PCMU", "PCMA"}

func parsePortRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%q is not a range like 20000-20999", s)
	}
	if lo < 1024 || hi > 65535 || hi-lo < 1 {
		return 0, 0, fmt.Errorf("%q must lie within 1024-65535 and hold at least two ports", s)
	}
	return lo, hi, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
