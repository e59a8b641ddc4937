package media

import (
	"context"
	"errors"
	"math"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// checkGoroutines fails the test when goroutines it started outlive it.
// Call it first, so that its cleanup runs after the streams' ones.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := runtime.NumGoroutine(); got > before {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutines = %d after the streams closed, want %d\n%s",
				got, before, buf)
		}
	})
}

func listenLoopback(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addrOf(c *net.UDPConn) netip.AddrPort {
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// runningStream is a stream whose Run the test started.
type runningStream struct {
	*Stream
	runErr chan error
}

// startStream creates a stream from cfg (with a loopback socket when it
// has none) and runs it until the test ends.
func startStream(t *testing.T, cfg StreamConfig) runningStream {
	t.Helper()
	if cfg.Conn == nil {
		cfg.Conn = listenLoopback(t)
	}
	s, err := NewStream(cfg)
	if err != nil {
		cfg.Conn.Close()
		t.Fatal(err)
	}
	rs := runningStream{Stream: s, runErr: make(chan error, 1)}
	go func() { rs.runErr <- s.Run(context.Background()) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		// Close waits for a running Run; a Run that had not started yet
		// returns ErrStreamClosed at once.
		select {
		case err := <-rs.runErr:
			if err != nil && !errors.Is(err, ErrStreamClosed) {
				t.Errorf("Run = %v, want nil after Close", err)
			}
			rs.runErr <- err
		case <-time.After(time.Second):
			t.Errorf("Run had not returned a second after Close")
		}
	})
	return rs
}

// startClock runs a shared clock until the test ends.
func startClock(t *testing.T) *Clock {
	t.Helper()
	c := NewClock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		c.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return c
}

// sink keeps the first frames of caller audio loud enough to be speech.
type sink struct {
	mu     sync.Mutex
	frames [][]int16
	want   int
	full   chan struct{}
}

func newSink(want int) *sink { return &sink{want: want, full: make(chan struct{})} }

func (s *sink) onAudio(pcm []int16) {
	if len(pcm) != SamplesPerFrame(PipelineRate) {
		panic("OnAudio frame of wrong length")
	}
	if rms(pcm) < 1000 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.frames) < s.want {
		s.frames = append(s.frames, append([]int16(nil), pcm...))
		if len(s.frames) == s.want {
			close(s.full)
		}
	}
}

// wait returns the frames once there are enough, or fails the test.
func (s *sink) wait(t *testing.T, what string) []int16 {
	t.Helper()
	select {
	case <-s.full:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no audio arrived", what)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []int16
	for _, f := range s.frames {
		all = append(all, f...)
	}
	return all
}

func sine(freq float64, d time.Duration) []int16 {
	pcm := make([]int16, int(d.Seconds()*PipelineRate))
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*freq*float64(i)/PipelineRate))
	}
	return pcm
}

func rms(pcm []int16) float64 {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

// frequency estimates the pitch of a tone from its zero crossings.
func frequency(pcm []int16) float64 {
	crossings := 0
	for i := 1; i < len(pcm); i++ {
		if (pcm[i-1] < 0) != (pcm[i] < 0) {
			crossings++
		}
	}
	return float64(crossings) / 2 / (float64(len(pcm)) / PipelineRate)
}

// waitFor polls cond until it holds or fails the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkTone fails the test unless pcm is a tone of about freq Hz.
func checkTone(t *testing.T, what string, pcm []int16, freq float64) {
	t.Helper()
	if got := frequency(pcm); math.Abs(got-freq) > freq/10 {
		t.Errorf("%s: tone of %.0f Hz, want %.0f Hz", what, got, freq)
	}
}

// pair runs two streams that talk to each other, each configured by
// edit, on one shared clock.
func pair(t *testing.T, edit func(i int, cfg *StreamConfig)) (a, b runningStream) {
	t.Helper()
	clock := startClock(t)
	conns := [2]*net.UDPConn{listenLoopback(t), listenLoopback(t)}
	var s [2]runningStream
	for i := range s {
		cfg := StreamConfig{
			Conn:            conns[i],
			Remote:          addrOf(conns[1-i]),
			Codec:           PCMU,
			DTMFPayloadType: 101,
			Clock:           clock,
		}
		if edit != nil {
			edit(i, &cfg)
		}
		s[i] = startStream(t, cfg)
	}
	return s[0], s[1]
}

// testPacket builds a plain RTP packet for tests.
func testPacket(t testing.TB, pt uint8, seq uint16, ssrc uint32, payload []byte) []byte {
	t.Helper()
	p := rtp.Packet{
		Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq,
			Timestamp: uint32(seq) * 160, SSRC: ssrc},
		Payload: payload,
	}
	buf, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return buf
}
