package sip

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/voiced/voiced/media"
)

// sdpSession is our side of one call's SDP: its origin and the address
// and port media arrive at.
type sdpSession struct {
	// id and version form the o= line; version grows with every new
	// description we send (RFC 3264 section 8).
	id, version uint64
	addr        netip.Addr
	port        int
}

// answerSpec is what one answer says besides the session.
type answerSpec struct {
	offer *offer
	// key is our SDES master key and salt under RTP/SAVP.
	key []byte
	// dir is our direction, usually the reciprocal of the peer's.
	dir direction
}

// marshalAnswer writes the answer to o: every offered m= line comes back,
// the rejected ones with port 0 (RFC 3264 section 6).
func (s sdpSession) marshalAnswer(a answerSpec) []byte {
	var b strings.Builder
	s.writeHeader(&b)
	for i, l := range a.offer.lines {
		if i != a.offer.index {
			formats := l.formats
			if len(formats) == 0 {
				formats = []string{"0"}
			}
			fmt.Fprintf(&b, "m=%s 0 %s %s\r\n", l.media, l.proto, strings.Join(formats, " "))
			continue
		}
		var crypto *sdesCrypto
		if a.offer.crypto != nil {
			crypto = &sdesCrypto{tag: a.offer.crypto.tag, suite: a.offer.crypto.suite, key: a.key}
		}
		dtmf := media.Codec{}
		if a.offer.dtmfPT != 0 {
			dtmf = media.TelephoneEvent
			dtmf.PayloadType, dtmf.ClockRate = a.offer.dtmfPT, a.offer.dtmfRate
		}
		s.writeAudio(&b, a.offer.proto, []media.Codec{a.offer.codec}, dtmf, crypto, a.dir)
	}
	return []byte(b.String())
}

// marshalOffer writes our own offer, for an INVITE that came without one
// (RFC 3261 section 13.2.1): every codec we support and telephone-event.
func (s sdpSession) marshalOffer(codecs []media.Codec, proto string, crypto *sdesCrypto) []byte {
	var b strings.Builder
	s.writeHeader(&b)
	s.writeAudio(&b, proto, codecs, media.TelephoneEvent, crypto, sendrecv)
	return []byte(b.String())
}

func (s sdpSession) writeHeader(b *strings.Builder) {
	ipv := "IP4"
	if s.addr.Is6() {
		ipv = "IP6"
	}
	fmt.Fprintf(b, "v=0\r\no=voiced %d %d IN %s %s\r\ns=voiced\r\n", s.id, s.version, ipv, s.addr)
	fmt.Fprintf(b, "c=IN %s %s\r\nt=0 0\r\n", ipv, s.addr)
}

// writeAudio writes one audio m= line with its attributes (RFC 8866
// sections 5.14 and 6).
func (s sdpSession) writeAudio(b *strings.Builder, proto string, codecs []media.Codec,
	dtmf media.Codec, crypto *sdesCrypto, dir direction) {
	fmt.Fprintf(b, "m=audio %d %s", s.port, proto)
	for _, c := range codecs {
		fmt.Fprintf(b, " %d", c.PayloadType)
	}
	if dtmf.PayloadType != 0 {
		fmt.Fprintf(b, " %d", dtmf.PayloadType)
	}
	b.WriteString("\r\n")
	for _, c := range codecs {
		fmt.Fprintf(b, "a=rtpmap:%d %s/%d", c.PayloadType, c.Name, c.ClockRate)
		if c.Channels > 1 {
			fmt.Fprintf(b, "/%d", c.Channels)
		}
		b.WriteString("\r\n")
	}
	if pt := dtmf.PayloadType; pt != 0 {
		fmt.Fprintf(b, "a=rtpmap:%d %s/%d\r\na=fmtp:%d 0-16\r\n", pt, telephoneEvent, dtmf.ClockRate, pt)
	}
	b.WriteString("a=ptime:20\r\n")
	if crypto != nil {
		fmt.Fprintf(b, "a=crypto:%s\r\n", crypto.attribute())
	}
	fmt.Fprintf(b, "a=%s\r\n", dir)
}
