package sip

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voiced/voiced/sip/siptest"
)

// tortureMessages reads the RFC 4475 messages of testdata/torture/dir.
func tortureMessages(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "torture", dir, "*.dat"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no torture messages in %s: %v", dir, err)
	}
	msgs := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		msgs[strings.TrimSuffix(filepath.Base(p), ".dat")] = b
	}
	return msgs
}

// exchangeTCP sends msg on a fresh connection and returns the status
// codes of the responses that came back before the server went quiet.
func exchangeTCP(t *testing.T, addr string, msg []byte) []int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	if _, err := conn.Write(msg); err != nil {
		return nil
	}
	var codes []int
	r := bufio.NewReader(conn)
	wait := 2 * time.Second
	for {
		conn.SetReadDeadline(time.Now().Add(wait))
		line, err := r.ReadString('\n')
		if err != nil {
			return codes
		}
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "SIP/2.0" {
			if code, err := strconv.Atoi(f[1]); err == nil {
				codes = append(codes, code)
			}
			wait = 300 * time.Millisecond
		}
	}
}

func sendUDP(t *testing.T, addr string, msg []byte) {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	conn.Write(msg)
}

// tortureExpectations are the outcomes over TCP that are right for a
// message, beyond the general rule (valid: a final response; invalid: no
// response or a 4xx-6xx).
var tortureExpectations = map[string]func(codes []int) bool{
	// Responses: a UAS answers nothing.
	"noreason": none,
	"unreason": none,
	// Two requests in one message: the REGISTER gets 405 or sipgo's
	// stream parser drops the connection first.
	"dblreq": func(codes []int) bool { return none(codes) || status(405)(codes) },
	// Valid OPTIONS (RFC 4475 sections 3.3.12 and 3.3.13): a UAS answers.
	"badbranch": status(200),
	"zeromf":    status(200),
	// Unknown URI scheme and an unsupported Require.
	"unkscm": status(416),
	"bext01": status(420),
	// A CSeq method that is not the request's.
	"mismatch01": status(400),
	"mismatch02": status(400),
	// Unknown or escaped methods that we do not serve.
	"intmeth": status(405),
	"esc02":   status(405),
}

func none(codes []int) bool { return len(codes) == 0 }

func status(code int) func([]int) bool {
	return func(codes []int) bool { return finalCode(codes) == code }
}

func finalCode(codes []int) int {
	for _, c := range codes {
		if c >= 200 {
			return c
		}
	}
	return 0
}

// TestTorture sends every RFC 4475 message over TCP and then UDP to a
// server of its own: many messages share a Via branch, and a server would
// take a later one for a retransmission of an earlier one.
func TestTorture(t *testing.T) {
	for _, set := range []string{"valid", "invalid"} {
		for name, msg := range tortureMessages(t, set) {
			t.Run(set+"/"+name, func(t *testing.T) {
				t.Parallel()
				s := startServer(t, testConfig(t, newTestHandler()))
				p := newPhone(t, siptest.Config{})
				codes := exchangeTCP(t, s.Addr().TCP.String(), msg)
				sendUDP(t, s.Addr().UDP.String(), msg)
				t.Logf("%s over tcp: %v", name, codes)
				checkTorture(t, set, name, msg, codes)
				res, err := p.Options(testContext(t), s.Addr().UDP)
				if err != nil || res.StatusCode != 200 {
					t.Fatalf("options after %s: got %v %v, want 200", name, res, err)
				}
				if got := metricValue(s.metrics.panics); got != 0 {
					t.Errorf("handler panics: got %v, want 0", got)
				}
				eventually(t, 5*time.Second, "no call left", func() bool {
					return s.activeCalls() == 0
				})
			})
		}
	}
}

func checkTorture(t *testing.T, set, name string, msg []byte, codes []int) {
	t.Helper()
	if want, ok := tortureExpectations[name]; ok {
		if !want(codes) {
			t.Errorf("%s: got responses %v", name, codes)
		}
		return
	}
	final := finalCode(codes)
	isResponse := bytes.HasPrefix(msg, []byte("SIP/"))
	isAck := bytes.HasPrefix(msg, []byte("ACK "))
	switch {
	case isResponse || isAck:
		if len(codes) != 0 {
			t.Errorf("%s: got responses %v, want none", name, codes)
		}
	case set == "valid" && final == 0:
		t.Errorf("%s: got responses %v, want a final one", name, codes)
	case set == "invalid" && final != 0 && final < 400:
		t.Errorf("%s: got final %d, want 4xx-6xx or nothing", name, final)
	}
}

func TestMalformedCounted(t *testing.T) {
	s := startServer(t, testConfig(t, newTestHandler()))
	sendUDP(t, s.Addr().UDP.String(), []byte("this is not sip at all\r\n\r\n"))
	eventually(t, 5*time.Second, "malformed message counted", func() bool {
		return metricValue(s.metrics.malformed) == 1
	})
}
