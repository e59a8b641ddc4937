package siptest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Config configures a Phone. The zero value is a UDP phone on loopback.
type Config struct {
	// Transport is "udp" (default), "tcp" or "tls".
	Transport string
	// TLS configures the client side of "tls" calls (RootCAs).
	TLS *tls.Config
	// ReferStatus is the final status the phone reports in its NOTIFY
	// after accepting a REFER, 200 by default.
	ReferStatus int
	// Logger receives sipgo's logs; they are discarded when nil.
	Logger *slog.Logger
}

// Phone is a SIP user agent for tests. It listens on 127.0.0.1 so that
// the server can send it requests within its calls.
type Phone struct {
	cfg    Config
	ua     *sipgo.UserAgent
	client *sipgo.Client
	server *sipgo.Server
	dua    *sipgo.DialogUA
	addr   netip.AddrPort
	conns  []io.Closer
	wg     sync.WaitGroup

	mu    sync.Mutex // guards calls
	calls map[string]*Call
}

// NewPhone starts a phone on loopback; Close stops it.
func NewPhone(cfg Config) (*Phone, error) {
	if cfg.Transport == "" {
		cfg.Transport = "udp"
	}
	cfg.Transport = strings.ToLower(cfg.Transport)
	if cfg.ReferStatus == 0 {
		cfg.ReferStatus = 200
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := &Phone{cfg: cfg, calls: make(map[string]*Call)}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("siptest"),
		sipgo.WithUserAgentHostname("127.0.0.1"),
		sipgo.WithUserAgenTLSConfig(cfg.TLS),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(logger)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(logger)))
	if err != nil {
		return nil, err
	}
	p.ua = ua
	if err := p.listen(logger); err != nil {
		ua.Close()
		return nil, err
	}
	return p, nil
}

// listen binds the phone's sockets and starts its server and client.
func (p *Phone) listen(logger *slog.Logger) error {
	var err error
	if p.server, err = sipgo.NewServer(p.ua, sipgo.WithServerLogger(logger)); err != nil {
		return err
	}
	p.server.OnBye(p.onBye)
	p.server.OnRefer(p.onRefer)
	p.server.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	if p.cfg.Transport != "udp" {
		// Over TCP and TLS the server reuses our connection; the listener
		// only gives the Contact a port.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		p.addr = l.Addr().(*net.TCPAddr).AddrPort()
		p.conns = append(p.conns, l)
		p.wg.Go(func() { p.server.ServeTCP(l) })
	} else {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		p.addr = c.LocalAddr().(*net.UDPAddr).AddrPort()
		p.conns = append(p.conns, c)
		p.wg.Go(func() { p.server.ServeUDP(c) })
		waitPooled(p.ua.TransportLayer(), p.addr.String())
	}
	opts := []sipgo.ClientOption{sipgo.WithClientHostname("127.0.0.1"),
		sipgo.WithClientLogger(logger)}
	if p.cfg.Transport == "udp" {
		opts = append(opts, sipgo.WithClientConnectionAddr(p.addr.String()))
	}
	if p.client, err = sipgo.NewClient(p.ua, opts...); err != nil {
		return err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone",
		Host: "127.0.0.1", Port: int(p.addr.Port())}}
	if p.cfg.Transport != "udp" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", p.cfg.Transport)
	}
	p.dua = &sipgo.DialogUA{Client: p.client, ContactHDR: contact,
		RewriteContact: p.cfg.Transport != "udp"}
	return nil
}

// Addr is where the phone listens.
func (p *Phone) Addr() netip.AddrPort { return p.addr }

// Close hangs up nothing; it closes the phone's calls' sockets, its
// listeners and its user agent.
func (p *Phone) Close() error {
	p.mu.Lock()
	calls := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	for _, c := range calls {
		c.Close()
	}
	for _, c := range p.conns {
		c.Close()
	}
	err := p.ua.Close()
	p.wg.Wait()
	return err
}

// Options sends OPTIONS to target and returns the response.
func (p *Phone) Options(ctx context.Context, target netip.AddrPort) (*sip.Response, error) {
	req := sip.NewRequest(sip.OPTIONS, p.uri("", target))
	req.SetTransport(strings.ToUpper(p.cfg.Transport))
	return p.client.Do(ctx, req)
}

// Request sends an arbitrary request built by the caller and returns its
// final response; headers the request lacks are filled in.
func (p *Phone) Request(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	req.SetTransport(strings.ToUpper(p.cfg.Transport))
	return p.client.Do(ctx, req)
}

// URI returns a SIP URI for user at target over the phone's transport.
func (p *Phone) uri(user string, target netip.AddrPort) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: user, Host: target.Addr().String(), Port: int(target.Port())}
	if p.cfg.Transport != "udp" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", p.cfg.Transport)
	}
	return u
}

func (p *Phone) call(req *sip.Request) *Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h := req.CallID(); h != nil {
		return p.calls[h.Value()]
	}
	return nil
}

func (p *Phone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := p.call(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	if err := c.dialog.ReadBye(req, tx); err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
	}
	c.markEnded()
}

// onRefer accepts a REFER with 202 and reports the configured status in
// a NOTIFY with a message/sipfrag body (RFC 3515 section 2.4.5).
func (p *Phone) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	c := p.call(req)
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	referTo := ""
	if h := req.GetHeader("Refer-To"); h != nil {
		referTo = h.Value()
	}
	referredBy := ""
	if h := req.GetHeader("Referred-By"); h != nil {
		referredBy = h.Value()
	}
	tx.Respond(sip.NewResponseFromRequest(req, 202, "Accepted", nil))
	c.refers <- Refer{To: referTo, ReferredBy: referredBy}
	c.wg.Go(func() { c.notifyRefer(p.cfg.ReferStatus) })
}

// Refer is a REFER the phone received.
type Refer struct {
	To, ReferredBy string
}

// ResponseError is a call attempt's final non-2xx response.
type ResponseError struct {
	Response *sip.Response
}

// Error describes the response.
func (e *ResponseError) Error() string {
	return fmt.Sprintf("call answered %d %s", e.Response.StatusCode, e.Response.Reason)
}

// StatusCode returns the status of a *ResponseError in err's chain, 0 if
// there is none.
func StatusCode(err error) int {
	var re *ResponseError
	if errors.As(err, &re) {
		return re.Response.StatusCode
	}
	return 0
}

// waitPooled waits until sipgo filed the UDP listener in its pool, which
// ServeUDP does on its goroutine; requests sent before would leave from
// another socket.
func waitPooled(tl *sip.TransportLayer, addr string) {
	for range 5000 {
		if c, err := tl.GetConnection("udp", addr); err == nil {
			c.TryClose()
			return
		}
		time.Sleep(time.Millisecond)
	}
}
