package sip

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/voiced/voiced/media"
)

// Config configures a Server. Its zero value is usable except for
// Handler; New fills the defaults documented on each field.
type Config struct {
	// Listen is the UDP and TCP address, "127.0.0.1:5060" by default. Port
	// 0 binds a free port (the same one for both when it can); Addr
	// reports it.
	Listen string
	// TLS, when set, adds a SIP over TLS listener; calls over it must offer
	// SRTP.
	TLS *TLSConfig
	// PublicAddr is the address written into SDP c= lines and Contact
	// headers. It defaults to the listen IP, or to the IP of the interface
	// that routes outwards when the listen IP is unspecified.
	PublicAddr netip.Addr
	// UserAgent is sent in User-Agent and Server headers, "voiced" by
	// default.
	UserAgent string
	// Realm is the digest realm of inbound challenges, "voiced" by default.
	Realm string
	// Ports hands out RTP sockets; by default ports 20000-20999 on the
	// listen IP.
	Ports *media.Ports
	// Clock paces every stream. A Clock given here must be running; when
	// nil the server creates one and runs it while it serves.
	Clock *media.Clock
	// Metrics counts media packets; nil counts nothing.
	Metrics *media.Metrics
	// Codecs are the audio codecs the server answers with, in preference
	// order; by default media's supported codecs.
	Codecs []media.Codec
	// MaxCalls bounds concurrent calls; past it an INVITE gets 503 with
	// Retry-After. Zero means 200.
	MaxCalls int
	// RetryAfter is the Retry-After of 503 responses, 30 s by default.
	RetryAfter time.Duration
	// NoRTPTimeout ends a call whose peer stopped sending media; zero uses
	// media's default.
	NoRTPTimeout time.Duration
	// DrainGrace is how long Shutdown lets running calls continue before it
	// hangs them up, 30 s by default.
	DrainGrace time.Duration
	// RecordingsDir, when set, receives a stereo WAV of every call at
	// RecordingsDir/YYYY/MM/DD/<call id>.wav (UTC date).
	RecordingsDir string
	// Trunks are the peers allowed to call in and those the server
	// registers with. Without trunks every INVITE gets 403.
	Trunks []Trunk
	// Handler routes and serves calls. It is required.
	Handler Handler
	// Logger receives the server's logs; slog.Default() when nil.
	Logger *slog.Logger
	// Registerer receives the server's Prometheus collectors; nil keeps
	// them in a private registry.
	Registerer prometheus.Registerer
	// Now tells the time; time.Now by default.
	Now func() time.Time
}

// TLSConfig is the SIP over TLS listener (RFC 3261 section 26.2).
type TLSConfig struct {
	// Listen is the TLS address, such as "0.0.0.0:5061".
	Listen string
	// CertFile and KeyFile are PEM files of the server certificate.
	CertFile, KeyFile string
}

// Trunk is one peer that may call in: a carrier's trunk, a PBX or a group
// of softphones.
type Trunk struct {
	// Name identifies the trunk in logs, metrics and Inbound.
	Name string
	// Allow lists the source prefixes accepted without credentials.
	Allow []netip.Prefix
	// Username and Password, when set, accept requests carrying valid
	// digest credentials (RFC 7616, MD5 or SHA-256, qop=auth).
	Username, Password string
	// Tenant is the default tenant of calls arriving on the trunk; the
	// Handler may still map the number elsewhere.
	Tenant string
	// Register, when set, keeps the server registered with the trunk.
	Register *Registration
}

// Registration is an outbound registration (RFC 3261 section 10).
type Registration struct {
	// Registrar is the registrar's SIP URI, such as
	// "sip:sip.example.net:5060;transport=udp".
	Registrar string
	// Username and Password authenticate the registration; they default
	// to the trunk's.
	Username, Password string
	// Domain is the address-of-record's domain; the registrar's host by
	// default.
	Domain string
	// Contact is the user part of the Contact URI; Username by default.
	Contact string
	// Expires is the binding lifetime asked for, 300 s by default; the
	// registrar's grant decides when to refresh.
	Expires time.Duration
}

// Defaults used by New.
const (
	defaultListen     = "127.0.0.1:5060"
	defaultUserAgent  = "voiced"
	defaultRealm      = "voiced"
	defaultMaxCalls   = 200
	defaultRetryAfter = 30 * time.Second
	defaultDrainGrace = 30 * time.Second
	defaultRegExpires = 300 * time.Second
	defaultRTPMin     = 20000
	defaultRTPMax     = 20999
)

// withDefaults returns cfg with every unset field filled and checks it.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Handler == nil {
		return cfg, fmt.Errorf("%w: handler is required", ErrInvalidConfig)
	}
	if cfg.Listen == "" {
		cfg.Listen = defaultListen
	}
	listen, err := netip.ParseAddrPort(cfg.Listen)
	if err != nil {
		return cfg, fmt.Errorf("%w: listen %q: %v", ErrInvalidConfig, cfg.Listen, err)
	}
	if cfg.TLS != nil {
		if err := cfg.TLS.validate(); err != nil {
			return cfg, err
		}
	}
	if !cfg.PublicAddr.IsValid() {
		cfg.PublicAddr = publicAddrFor(listen.Addr())
	}
	cfg.fillScalars()
	if cfg.Ports == nil {
		ports, err := media.NewPorts(listen.Addr(), defaultRTPMin, defaultRTPMax)
		if err != nil {
			return cfg, fmt.Errorf("%w: rtp ports: %v", ErrInvalidConfig, err)
		}
		cfg.Ports = ports
	}
	trunks, err := validateTrunks(cfg.Trunks)
	if err != nil {
		return cfg, err
	}
	cfg.Trunks = trunks
	return cfg, nil
}

// fillScalars fills the defaults that cannot fail.
func (cfg *Config) fillScalars() {
	if cfg.UserAgent == "" {
		cfg.UserAgent = defaultUserAgent
	}
	if cfg.Realm == "" {
		cfg.Realm = defaultRealm
	}
	if len(cfg.Codecs) == 0 {
		cfg.Codecs = defaultCodecs()
	}
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = defaultMaxCalls
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = defaultRetryAfter
	}
	if cfg.DrainGrace <= 0 {
		cfg.DrainGrace = defaultDrainGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

func (t *TLSConfig) validate() error {
	if _, err := netip.ParseAddrPort(t.Listen); err != nil {
		return fmt.Errorf("%w: tls listen %q: %v", ErrInvalidConfig, t.Listen, err)
	}
	if t.CertFile == "" || t.KeyFile == "" {
		return fmt.Errorf("%w: tls needs cert and key files", ErrInvalidConfig)
	}
	return nil
}

// validateTrunks checks names, credentials and registrations and returns
// a copy with the registrations' defaults filled.
func validateTrunks(in []Trunk) ([]Trunk, error) {
	trunks := slices.Clone(in)
	seen := make(map[string]bool, len(trunks))
	for i := range trunks {
		t := &trunks[i]
		if t.Name == "" {
			return nil, fmt.Errorf("%w: trunk %d has no name", ErrInvalidConfig, i)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("%w: trunk %q is listed twice", ErrInvalidConfig, t.Name)
		}
		seen[t.Name] = true
		if (t.Username == "") != (t.Password == "") {
			return nil, fmt.Errorf("%w: trunk %q: username and password go together",
				ErrInvalidConfig, t.Name)
		}
		if t.Register != nil {
			reg := *t.Register
			if err := reg.validate(t); err != nil {
				return nil, fmt.Errorf("%w: trunk %q: %v", ErrInvalidConfig, t.Name, err)
			}
			t.Register = &reg
		}
	}
	return trunks, nil
}

// validate fills the registration's defaults from its trunk and checks it.
func (r *Registration) validate(t *Trunk) error {
	var uri sip.Uri
	if err := sip.ParseUri(r.Registrar, &uri); err != nil || uri.Host == "" {
		return fmt.Errorf("registrar %q is not a sip uri", r.Registrar)
	}
	if r.Username == "" {
		r.Username, r.Password = t.Username, t.Password
	}
	if r.Username == "" {
		return fmt.Errorf("registration needs a username")
	}
	if r.Domain == "" {
		r.Domain = uri.Host
	}
	if r.Contact == "" {
		r.Contact = r.Username
	}
	if r.Expires <= 0 {
		r.Expires = defaultRegExpires
	}
	return nil
}

// publicAddrFor picks the address peers reach us at when we listen on ip.
func publicAddrFor(ip netip.Addr) netip.Addr {
	if !ip.IsUnspecified() {
		return ip
	}
	// Connecting a UDP socket sends nothing; it asks the routing table
	// which local address would be used.
	network, probe := "udp4", "192.0.2.1:9"
	if ip.Is6() && !ip.Is4In6() {
		network, probe = "udp6", "[2001:db8::1]:9"
	}
	if c, err := net.Dial(network, probe); err == nil {
		defer c.Close()
		if a, ok := c.LocalAddr().(*net.UDPAddr); ok {
			if addr, ok := netip.AddrFromSlice(a.IP); ok {
				return addr.Unmap()
			}
		}
	}
	if network == "udp6" {
		return netip.IPv6Loopback()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}
