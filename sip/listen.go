package sip

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// ListenAddrs are the addresses a Server listens on; TLS is zero without
// TLS.
type ListenAddrs struct {
	UDP, TCP, TLS netip.AddrPort
}

// Transport names as sipgo spells them in Request.Transport.
const (
	transportUDP = "UDP"
	transportTCP = "TCP"
	transportTLS = "TLS"
)

// listen binds UDP and TCP (and TLS when configured), starts serving on
// them and prepares the Contact of each transport.
func (s *Server) listen() error {
	udp, tcp, err := listenPair(netip.MustParseAddrPort(s.cfg.Listen))
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	addrs := ListenAddrs{UDP: udp.LocalAddr().(*net.UDPAddr).AddrPort(),
		TCP: tcp.Addr().(*net.TCPAddr).AddrPort()}
	listeners := []interface{ Close() error }{udp, tcp}
	var tl net.Listener
	if s.cfg.TLS != nil {
		if tl, err = listenTLS(s.cfg.TLS); err != nil {
			udp.Close()
			tcp.Close()
			return err
		}
		addrs.TLS = tl.Addr().(*net.TCPAddr).AddrPort()
		listeners = append(listeners, tl)
	}

	s.mu.Lock()
	s.addrs, s.listeners = addrs, listeners
	s.prepareContacts()
	s.mu.Unlock()

	s.wg.Go(func() { _ = s.sip.ServeUDP(udp) })
	s.wg.Go(func() { _ = s.sip.ServeTCP(tcp) })
	if tl != nil {
		s.wg.Go(func() { _ = s.sip.ServeTLS(tl) })
	}
	return waitServing(s.ua.TransportLayer(), addrs.UDP)
}

// waitServing returns once sipgo has filed the UDP listener in its
// connection pool, which ServeUDP does on its goroutine: until then
// requests we send would not leave from the listening socket.
func waitServing(tl *sip.TransportLayer, udp netip.AddrPort) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		if c, err := tl.GetConnection("udp", udp.String()); err == nil {
			_, _ = c.TryClose() // GetConnection took a reference
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("udp listener %s did not start", udp)
		}
		time.Sleep(time.Millisecond)
	}
}

// listenPair binds UDP and TCP on one port; with port 0 it retries until
// the free UDP port is free for TCP too.
func listenPair(ap netip.AddrPort) (*net.UDPConn, *net.TCPListener, error) {
	var lastErr error
	for range 20 {
		udp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
		if err != nil {
			return nil, nil, err
		}
		port := udp.LocalAddr().(*net.UDPAddr).Port
		tcpAddr := net.TCPAddrFromAddrPort(netip.AddrPortFrom(ap.Addr(), uint16(port)))
		tcp, err := net.ListenTCP("tcp", tcpAddr)
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if ap.Port() != 0 {
			return nil, nil, err
		}
		lastErr = err
	}
	return nil, nil, lastErr
}

func listenTLS(cfg *TLSConfig) (net.Listener, error) {
	cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls certificate: %w", err)
	}
	l, err := tls.Listen("tcp", cfg.Listen, &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		return nil, fmt.Errorf("listen tls %s: %w", cfg.Listen, err)
	}
	return l, nil
}

// prepareContacts builds the Contact and the dialog user agent of each
// transport. Over TCP and TLS in-dialog requests reuse the caller's
// connection instead of dialing its Contact. s.mu must be held.
func (s *Server) prepareContacts() {
	s.contacts = make(map[string]sip.ContactHeader, 3)
	s.dialogUAs = make(map[string]*sipgo.DialogUA, 3)
	add := func(transport string, port uint16, param string) {
		uri := sip.Uri{Scheme: "sip", User: "voiced", Host: s.cfg.PublicAddr.String(),
			Port: int(port)}
		if param != "" {
			uri.UriParams = sip.NewParams()
			uri.UriParams.Add("transport", param)
		}
		contact := sip.ContactHeader{Address: uri}
		s.contacts[transport] = contact
		s.dialogUAs[transport] = &sipgo.DialogUA{Client: s.client, ContactHDR: contact,
			RewriteContact: transport != transportUDP}
	}
	add(transportUDP, s.addrs.UDP.Port(), "")
	add(transportTCP, s.addrs.TCP.Port(), "tcp")
	if s.addrs.TLS.IsValid() {
		add(transportTLS, s.addrs.TLS.Port(), "tls")
	}
}

// contactFor returns our Contact for a request's transport.
func (s *Server) contactFor(transport string) (sip.ContactHeader, *sipgo.DialogUA, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ua, ok := s.dialogUAs[transport]
	if !ok {
		return sip.ContactHeader{}, nil, false
	}
	return s.contacts[transport], ua, true
}
