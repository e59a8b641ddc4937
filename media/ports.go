package media

import (
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
)

// Ports hands out RTP sockets bound to even ports of a range, as RFC 3550
// section 11 asks of RTP (the odd port above is RTCP's). It keeps no
// record of what it handed out: the kernel does, so closing a socket is
// all it takes to free its port, and a port some other program holds is
// simply skipped. It is safe for concurrent use.
type Ports struct {
	ip    netip.Addr
	first int // lowest even port of the range
	count int // how many even ports the range holds
	// cursor is where the next Allocate starts looking, so consecutive
	// calls rotate through the range instead of reusing a port the peer
	// of a call that just ended may still be sending to.
	cursor atomic.Uint32
}

// NewPorts serves the even ports from min to max, both included, on ip.
// An unspecified ip (0.0.0.0 or ::) binds every interface.
func NewPorts(ip netip.Addr, min, max int) (*Ports, error) {
	if !ip.IsValid() {
		return nil, fmt.Errorf("media: rtp ports: %w: no address", ErrPortRange)
	}
	if min < 1 || max > 65535 || min > max {
		return nil, fmt.Errorf("media: rtp ports %d-%d: %w", min, max, ErrPortRange)
	}
	first := min + min%2
	if first > max {
		return nil, fmt.Errorf("media: rtp ports %d-%d: %w: no even port",
			min, max, ErrPortRange)
	}
	return &Ports{ip: ip, first: first, count: (max-first)/2 + 1}, nil
}

// Allocate binds the next even port the OS lets it have, starting after
// the one it handed out last and wrapping around the range once. It
// returns an error wrapping ErrPortsExhausted when every port is taken.
func (p *Ports) Allocate() (*net.UDPConn, error) {
	start := int(p.cursor.Load()) % p.count
	var lastErr error
	for i := range p.count {
		idx := (start + i) % p.count
		port := p.first + 2*idx
		addr := net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.ip, uint16(port)))
		conn, err := net.ListenUDP("udp", addr)
		if err != nil {
			lastErr = err
			continue
		}
		p.cursor.Store(uint32(idx + 1))
		return conn, nil
	}
	return nil, fmt.Errorf("media: allocate rtp port on %v: %w (last: %w)",
		p.ip, ErrPortsExhausted, lastErr)
}

// Len is how many even ports the range holds.
func (p *Ports) Len() int { return p.count }
