package siptest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/srtp/v3"

	"github.com/voiced/voiced/media"
)

// Call is an established call of a Phone.
type Call struct {
	phone  *Phone
	dialog *sipgo.DialogClientSession
	rtp    *net.UDPConn
	srtp   bool
	noAck  bool
	ssrc   uint32
	refers chan Refer
	dtmf   chan rune
	wg     sync.WaitGroup

	closeOnce sync.Once
	endOnce   sync.Once
	ended     chan struct{}

	mu        sync.Mutex // guards the fields below
	remote    netip.AddrPort
	pt        uint8
	dtmfPT    uint8
	localKey  []byte
	encrypt   *srtp.Context
	decrypt   *srtp.Context
	received  []int16
	seq       uint16
	timestamp uint32
}

// Answer is the server's 2xx to the INVITE.
func (c *Call) Answer() *sip.Response { return c.dialog.InviteResponse }

// Ended is closed when the server hung up with BYE.
func (c *Call) Ended() <-chan struct{} { return c.ended }

// Refers delivers the REFERs the server sent; the phone has already
// answered them with 202 and a NOTIFY.
func (c *Call) Refers() <-chan Refer { return c.refers }

// DTMF delivers the RFC 4733 digits the server sent.
func (c *Call) DTMF() <-chan rune { return c.dtmf }

func (c *Call) markEnded() { c.endOnce.Do(func() { close(c.ended) }) }

// offer is the phone's SDP: PCMU and telephone-event, over RTP/SAVP with
// an SDES key when SRTP is on.
func (c *Call) offer() []byte {
	return c.sdp("sendrecv", 1)
}

func (c *Call) sdp(dir string, version int) []byte {
	port := c.rtp.LocalAddr().(*net.UDPAddr).Port
	proto := "RTP/AVP"
	if c.srtp {
		proto = "RTP/SAVP"
	}
	lines := []string{"v=0", fmt.Sprintf("o=siptest 1 %d IN IP4 127.0.0.1", version), "s=-",
		"c=IN IP4 127.0.0.1", "t=0 0",
		fmt.Sprintf("m=audio %d %s 0 101", port, proto),
		"a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16",
		"a=ptime:20"}
	if c.srtp {
		lines = append(lines, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+
			base64.StdEncoding.EncodeToString(c.localKey))
	}
	lines = append(lines, "a="+dir)
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// applyAnswer takes the address, payload types and key of an answer.
func (c *Call) applyAnswer(body []byte) error {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	var md *sdp.MediaDescription
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media == "audio" && m.MediaName.Port.Value != 0 {
			md = m
		}
	}
	if md == nil || len(md.MediaName.Formats) == 0 {
		return errors.New("answer has no audio")
	}
	ci := md.ConnectionInformation
	if ci == nil {
		ci = sd.ConnectionInformation
	}
	if ci == nil || ci.Address == nil {
		return errors.New("answer has no c= line")
	}
	addr, err := netip.ParseAddr(ci.Address.Address)
	if err != nil {
		return fmt.Errorf("answer address: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remote = netip.AddrPortFrom(addr, uint16(md.MediaName.Port.Value))
	c.pt, c.dtmfPT = payloadTypes(md)
	if c.srtp {
		return c.keys(md)
	}
	return nil
}

// payloadTypes finds PCMU and telephone-event among the m= line's
// formats.
func payloadTypes(md *sdp.MediaDescription) (pcmu, dtmf uint8) {
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		var pt uint8
		var name string
		fmt.Sscanf(a.Value, "%d %s", &pt, &name)
		if strings.HasPrefix(strings.ToLower(name), "telephone-event/8000") {
			dtmf = pt
		}
		if strings.EqualFold(name, "PCMU/8000") {
			pcmu = pt
		}
	}
	return pcmu, dtmf
}

// answerFor answers the server's offer of a delayed-offer call: PCMU and
// its telephone-event, with our key under the offer's crypto tag.
func (c *Call) answerFor(offer []byte) ([]byte, error) {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(offer); err != nil {
		return nil, fmt.Errorf("offer in 200: %w", err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return nil, errors.New("offer in 200 has no m= line")
	}
	md := sd.MediaDescriptions[0]
	_, dtmf := payloadTypes(md)
	c.srtp = strings.Join(md.MediaName.Protos, "/") == "RTP/SAVP"
	port := c.rtp.LocalAddr().(*net.UDPAddr).Port
	lines := []string{"v=0", "o=siptest 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1",
		"t=0 0", fmt.Sprintf("m=audio %d %s 0 %d", port, strings.Join(md.MediaName.Protos, "/"),
			dtmf), "a=rtpmap:0 PCMU/8000",
		fmt.Sprintf("a=rtpmap:%d telephone-event/8000", dtmf), "a=sendrecv"}
	if c.srtp {
		v, _ := md.Attribute("crypto")
		f := strings.Fields(v)
		if len(f) < 3 {
			return nil, fmt.Errorf("offer crypto %q", v)
		}
		c.localKey = make([]byte, 30)
		for i := range c.localKey {
			c.localKey[i] = byte(i*5 + 1)
		}
		lines = append(lines, fmt.Sprintf("a=crypto:%s %s inline:%s", f[0], f[1],
			base64.StdEncoding.EncodeToString(c.localKey)))
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n"), nil
}

// keys creates the SRTP contexts from our key and the answer's.
func (c *Call) keys(md *sdp.MediaDescription) error {
	v, ok := md.Attribute("crypto")
	if !ok {
		return errors.New("answer has no a=crypto")
	}
	f := strings.Fields(v)
	if len(f) < 3 {
		return fmt.Errorf("answer crypto %q", v)
	}
	remote, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(f[2], "inline:"))
	if err != nil || len(remote) != 30 {
		return fmt.Errorf("answer crypto key %q", f[2])
	}
	profile := srtp.ProtectionProfileAes128CmHmacSha1_80
	if f[1] == "AES_CM_128_HMAC_SHA1_32" {
		profile = srtp.ProtectionProfileAes128CmHmacSha1_32
	}
	if c.encrypt, err = srtp.CreateContext(c.localKey[:16], c.localKey[16:], profile); err != nil {
		return err
	}
	c.decrypt, err = srtp.CreateContext(remote[:16], remote[16:], profile)
	return err
}

// Received returns a copy of the audio received so far, decoded PCMU at
// 8 kHz.
func (c *Call) Received() []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int16(nil), c.received...)
}

// receive decodes incoming RTP until the socket closes.
func (c *Call) receive() {
	dec, err := media.NewDecoder(media.PCMU)
	if err != nil {
		return
	}
	defer dec.Close()
	buf := make([]byte, 1500)
	pcm := make([]int16, media.DecodeBufferSize)
	var lastEvent uint32
	for {
		n, err := c.rtp.Read(buf)
		if err != nil {
			return
		}
		pkt, ok := c.unprotect(buf[:n])
		if !ok {
			continue
		}
		c.mu.Lock()
		pt, dtmfPT := c.pt, c.dtmfPT
		c.mu.Unlock()
		switch {
		case pkt.PayloadType == pt:
			k, err := dec.Decode(pcm, pkt.Payload)
			if err == nil {
				c.mu.Lock()
				c.received = append(c.received, pcm[:k]...)
				c.mu.Unlock()
			}
		case pkt.PayloadType == dtmfPT && pkt.Timestamp != lastEvent && len(pkt.Payload) >= 4:
			lastEvent = pkt.Timestamp
			if d, ok := media.DigitOf(pkt.Payload[0]); ok {
				select {
				case c.dtmf <- d:
				default:
				}
			}
		}
	}
}

func (c *Call) unprotect(b []byte) (*rtp.Packet, bool) {
	c.mu.Lock()
	dec := c.decrypt
	c.mu.Unlock()
	if dec != nil {
		var hdr rtp.Header
		plain, err := dec.DecryptRTP(nil, b, &hdr)
		if err != nil {
			return nil, false
		}
		b = plain
	}
	var pkt rtp.Packet
	if err := pkt.Unmarshal(b); err != nil {
		return nil, false
	}
	return &pkt, true
}

// Close stops the call's media without signalling.
func (c *Call) Close() {
	c.closeOnce.Do(func() {
		c.rtp.Close()
		c.phone.mu.Lock()
		if c.dialog != nil {
			delete(c.phone.calls, c.dialog.InviteRequest.CallID().Value())
		}
		c.phone.mu.Unlock()
	})
	c.wg.Wait()
}

// Hangup sends BYE and closes the call.
func (c *Call) Hangup(ctx context.Context) error {
	defer c.Close()
	return c.dialog.Bye(ctx)
}

// send writes one RTP packet of payload type pt.
func (c *Call) send(pt uint8, marker bool, ts uint32, payload []byte) error {
	c.mu.Lock()
	c.seq++
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: c.seq,
		Timestamp: ts, SSRC: c.ssrc, Marker: marker}, Payload: payload}
	remote, enc := c.remote, c.encrypt
	c.mu.Unlock()
	b, err := pkt.Marshal()
	if err != nil {
		return err
	}
	if enc != nil {
		if b, err = enc.EncryptRTP(nil, b, nil); err != nil {
			return err
		}
	}
	_, err = c.rtp.WriteToUDPAddrPort(b, remote)
	return err
}

// Play sends pcm (8 kHz) as PCMU, one packet every 20 ms, and returns
// when it is sent or ctx ends.
func (c *Call) Play(ctx context.Context, pcm []int16) error {
	enc, err := media.NewEncoder(media.PCMU)
	if err != nil {
		return err
	}
	defer enc.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	payload := make([]byte, media.PayloadBufferSize)
	for len(pcm) >= 160 {
		n, err := enc.Encode(payload, pcm[:160])
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.timestamp += 160
		ts, pt := c.timestamp, c.pt
		c.mu.Unlock()
		if err := c.send(pt, false, ts, payload[:n]); err != nil {
			return err
		}
		pcm = pcm[160:]
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// SendDTMF sends one RFC 4733 key press (section 2.5): three packets while
// the key is down and three end packets, 20 ms apart.
func (c *Call) SendDTMF(ctx context.Context, digit rune) error {
	code, ok := media.CodeOf(digit)
	if !ok {
		return fmt.Errorf("not a dtmf digit: %q", digit)
	}
	c.mu.Lock()
	c.timestamp += 160
	ts, pt := c.timestamp, c.dtmfPT
	c.mu.Unlock()
	if pt == 0 {
		return errors.New("telephone-event not negotiated")
	}
	for i := range 6 {
		end := byte(0)
		if i >= 3 {
			end = 0x80
		}
		duration := uint16(min(i+1, 4) * 160)
		payload := []byte{code, end | 10, byte(duration >> 8), byte(duration)}
		if err := c.send(pt, i == 0, ts, payload); err != nil {
			return err
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
