package media

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func TestNewPortsValidates(t *testing.T) {
	tests := []struct {
		name     string
		ip       netip.Addr
		min, max int
		wantLen  int
		wantErr  error
	}{
		{"even bounds", loopback, 10000, 10010, 6, nil},
		{"odd min rounds up", loopback, 10001, 10010, 5, nil},
		{"one port", loopback, 10000, 10000, 1, nil},
		{"only an odd port", loopback, 10001, 10001, 0, ErrPortRange},
		{"reversed", loopback, 10010, 10000, 0, ErrPortRange},
		{"zero", loopback, 0, 10, 0, ErrPortRange},
		{"beyond 65535", loopback, 65530, 65540, 0, ErrPortRange},
		{"no address", netip.Addr{}, 10000, 10010, 0, ErrPortRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPorts(tt.ip, tt.min, tt.max)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewPorts error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && p.Len() != tt.wantLen {
				t.Errorf("Len = %d, want %d", p.Len(), tt.wantLen)
			}
		})
	}
}

// freeEvenRange finds n consecutive even ports that are free now.
func freeEvenRange(t *testing.T, n int) (int, int) {
	t.Helper()
	for base := 30000; base < 60000; base += 2 * n {
		var conns []*net.UDPConn
		for port := base; port < base+2*n; port += 2 {
			c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(
				netip.AddrPortFrom(loopback, uint16(port))))
			if err != nil {
				break
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		if len(conns) == n {
			return base, base + 2*(n-1)
		}
	}
	t.Fatal("no free port range")
	return 0, 0
}

func TestPortsAllocate(t *testing.T) {
	lo, hi := freeEvenRange(t, 4)
	p, err := NewPorts(loopback, lo, hi+1)
	if err != nil {
		t.Fatal(err)
	}

	// Another program holds the second port: Allocate skips it.
	squatter, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(
		netip.AddrPortFrom(loopback, uint16(lo+2))))
	if err != nil {
		t.Fatal(err)
	}
	defer squatter.Close()

	var conns []*net.UDPConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	seen := map[uint16]bool{}
	for i := range 3 {
		c, err := p.Allocate()
		if err != nil {
			t.Fatalf("Allocate %d: %v", i, err)
		}
		conns = append(conns, c)
		port := c.LocalAddr().(*net.UDPAddr).AddrPort().Port()
		if port%2 != 0 || int(port) < lo || int(port) > hi || port == uint16(lo+2) {
			t.Errorf("Allocate %d = port %d, want a free even port in %d-%d", i, port, lo, hi)
		}
		if seen[port] {
			t.Errorf("Allocate %d = port %d twice", i, port)
		}
		seen[port] = true
	}

	if _, err := p.Allocate(); !errors.Is(err, ErrPortsExhausted) {
		t.Fatalf("Allocate on a full range = %v, want ErrPortsExhausted", err)
	}

	// Closing a socket is all it takes to free its port.
	freed := conns[1].LocalAddr().(*net.UDPAddr).AddrPort().Port()
	conns[1].Close()
	c, err := p.Allocate()
	if err != nil {
		t.Fatalf("Allocate after close: %v", err)
	}
	conns[1] = c
	if got := c.LocalAddr().(*net.UDPAddr).AddrPort().Port(); got != freed {
		t.Errorf("Allocate after close = port %d, want %d", got, freed)
	}
}

func TestPortsRotate(t *testing.T) {
	lo, hi := freeEvenRange(t, 3)
	p, err := NewPorts(loopback, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	var got []uint16
	for range 4 {
		c, err := p.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c.LocalAddr().(*net.UDPAddr).AddrPort().Port())
		c.Close()
	}
	want := []uint16{uint16(lo), uint16(lo + 2), uint16(lo + 4), uint16(lo)}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ports = %v, want %v (a port just freed is not reused at once)", got, want)
			break
		}
	}
}
