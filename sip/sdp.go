package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/voiced/voiced/media"
)

// direction is an SDP media direction attribute (RFC 8866 section 6.7).
type direction string

// The four directions of RFC 3264 section 5.1.
const (
	sendrecv direction = "sendrecv"
	sendonly direction = "sendonly"
	recvonly direction = "recvonly"
	inactive direction = "inactive"
)

// reciprocal is the direction an answerer uses for an offered one (RFC
// 3264 section 6.1).
func (d direction) reciprocal() direction {
	switch d {
	case sendonly:
		return recvonly
	case recvonly:
		return sendonly
	case inactive:
		return inactive
	}
	return sendrecv
}

// RTP profiles we answer (RFC 3551, RFC 3711).
const (
	protoAVP  = "RTP/AVP"
	protoSAVP = "RTP/SAVP"
)

// offerPolicy is what the answerer is willing to accept.
type offerPolicy struct {
	// codecs in preference order.
	codecs []media.Codec
	// requireSRTP refuses RTP/AVP (calls over TLS).
	requireSRTP bool
	// current, when set, is kept if the offer still has it (re-offers).
	current *media.Codec
}

// mediaLine is one offered m= line; the answer repeats every one of them
// (RFC 3264 section 6).
type mediaLine struct {
	media   string
	proto   string
	formats []string
}

// offer is what negotiate accepted from a peer's SDP offer.
type offer struct {
	// index is the accepted audio m= line; lines are all of them.
	index int
	lines []mediaLine
	proto string
	// codec carries the peer's payload type.
	codec media.Codec
	// dtmfPT is the peer's telephone-event payload type, 0 when absent,
	// and dtmfRate its clock rate.
	dtmfPT   uint8
	dtmfRate int
	// remote is where to send RTP; invalid when the peer holds with a
	// zero address (RFC 3264 section 8.4).
	remote netip.AddrPort
	// dir is the peer's direction.
	dir direction
	// crypto is the peer's chosen SDES key line (RFC 4568) under RTP/SAVP.
	crypto *sdesCrypto
}

// hold reports whether the peer put the call on hold: it no longer sends
// to us or gave no address (RFC 3264 section 8.4).
func (o *offer) hold() bool {
	return o.dir == sendonly || o.dir == inactive || !o.remote.IsValid()
}

// negotiate parses an SDP offer and picks what to answer: the first
// acceptable audio m= line, the codec in our preference order, the peer's
// telephone-event payload type and an SDES key. It returns a *StatusError:
// 400 for SDP that does not parse, 488 with a Warning for nothing
// acceptable.
func negotiate(body []byte, p offerPolicy) (*offer, error) {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return nil, malformed(err)
	}
	if sd.Origin.NetworkType == "" || sd.Origin.UnicastAddress == "" {
		return nil, malformed(fmt.Errorf("%w: no o= line", ErrMalformedSDP))
	}
	sessionDir := directionOf(sd.Attributes, sendrecv)
	var why rejection
	lines := make([]mediaLine, len(sd.MediaDescriptions))
	var chosen *offer
	for i, md := range sd.MediaDescriptions {
		lines[i] = mediaLine{
			media:   md.MediaName.Media,
			proto:   strings.Join(md.MediaName.Protos, "/"),
			formats: md.MediaName.Formats,
		}
		if chosen != nil {
			continue
		}
		o, err := acceptMedia(&sd, md, p, &why)
		if err != nil {
			return nil, err
		}
		if o != nil {
			o.index = i
			o.dir = directionOf(md.Attributes, sessionDir)
			chosen = o
		}
	}
	if chosen == nil {
		return nil, why.statusError()
	}
	chosen.lines = lines
	return chosen, nil
}

// acceptMedia returns the offer for md, nil with why updated when md is
// not acceptable, or an error when md is malformed.
func acceptMedia(sd *sdp.SessionDescription, md *sdp.MediaDescription, p offerPolicy,
	why *rejection) (*offer, error) {
	if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
		return nil, nil
	}
	why.audio = true
	proto := strings.Join(md.MediaName.Protos, "/")
	if proto != protoAVP && proto != protoSAVP || p.requireSRTP && proto != protoSAVP {
		why.note(302, "Incompatible transport protocol")
		return nil, nil
	}
	o := &offer{proto: proto}
	if proto == protoSAVP {
		o.crypto = chooseCrypto(md.Attributes)
		if o.crypto == nil {
			why.note(302, "No supported SDES crypto suite")
			return nil, nil
		}
	}
	maps, err := payloadFormats(md)
	if err != nil {
		return nil, malformed(err)
	}
	codec, ok := chooseCodec(maps, p)
	if !ok {
		why.note(305, "Incompatible media format")
		return nil, nil
	}
	o.codec = codec
	o.dtmfPT, o.dtmfRate = chooseDTMF(maps, codec.ClockRate)
	remote, err := connectionAddr(sd, md)
	if err != nil {
		if errors.Is(err, ErrMalformedSDP) {
			return nil, malformed(err)
		}
		why.note(301, "Incompatible network address format")
		return nil, nil
	}
	if remote.IsValid() {
		o.remote = netip.AddrPortFrom(remote, uint16(md.MediaName.Port.Value))
	}
	return o, nil
}

// rejection remembers why no m= line was acceptable, for the Warning of
// the 488 (RFC 3261 section 20.43).
type rejection struct {
	audio bool
	code  int
	text  string
}

// note keeps the most specific reason: a codec mismatch (305) says more
// than a transport mismatch (30x).
func (r *rejection) note(code int, text string) {
	if code >= r.code {
		r.code, r.text = code, text
	}
}

func (r *rejection) statusError() *StatusError {
	w := &Warning{Code: r.code, Text: r.text}
	if !r.audio {
		w = &Warning{Code: 304, Text: "Media type not available"}
	}
	return &StatusError{
		Code:    488,
		Reason:  "Not Acceptable Here",
		Warning: w,
		Err:     fmt.Errorf("%w: %s", ErrNotAcceptable, strings.ToLower(w.Text)),
	}
}

// malformed is the 400 for SDP that does not parse; the reason phrase
// says what was wrong.
func malformed(err error) *StatusError {
	if !errors.Is(err, ErrMalformedSDP) {
		err = fmt.Errorf("%w: %v", ErrMalformedSDP, err)
	}
	return &StatusError{Code: 400, Reason: "Malformed SDP: " + reasonText(err), Err: err}
}

// reasonText makes err fit a reason phrase: printable, one line, short.
func reasonText(err error) string {
	msg := strings.TrimPrefix(err.Error(), ErrMalformedSDP.Error()+": ")
	var b strings.Builder
	for _, r := range msg {
		if b.Len() >= 80 {
			break
		}
		if r < 0x20 || r > 0x7e {
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// directionOf returns the direction attribute in attrs, or def.
func directionOf(attrs []sdp.Attribute, def direction) direction {
	for _, a := range attrs {
		switch d := direction(a.Key); d {
		case sendrecv, sendonly, recvonly, inactive:
			return d
		}
	}
	return def
}

// connectionAddr returns the media's c= address, falling back to the
// session's (RFC 8866 section 5.7). An invalid address with a nil error
// means the zero address of an old-style hold.
func connectionAddr(sd *sdp.SessionDescription, md *sdp.MediaDescription) (netip.Addr, error) {
	ci := md.ConnectionInformation
	if ci == nil {
		ci = sd.ConnectionInformation
	}
	if ci == nil || ci.Address == nil {
		return netip.Addr{}, fmt.Errorf("%w: no c= line for audio", ErrMalformedSDP)
	}
	if ci.NetworkType != "IN" {
		return netip.Addr{}, fmt.Errorf("network type %q", ci.NetworkType)
	}
	addr, err := netip.ParseAddr(ci.Address.Address)
	if err != nil || ci.Address.TTL != nil || addr.IsMulticast() || addr.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("connection address %q", ci.Address.Address)
	}
	if ci.AddressType == "IP4" && !addr.Is4() || ci.AddressType == "IP6" && !addr.Is6() {
		return netip.Addr{}, fmt.Errorf("address type %q for %q", ci.AddressType, addr)
	}
	if addr.IsUnspecified() {
		return netip.Addr{}, nil
	}
	return addr, nil
}

// payloadFormats reads the m= line's formats with their rtpmap and fmtp
// attributes; static payload types need no rtpmap (RFC 3551 section 6).
func payloadFormats(md *sdp.MediaDescription) ([]rtpmap, error) {
	maps := make([]rtpmap, 0, len(md.MediaName.Formats))
	index := make(map[uint8]int, len(md.MediaName.Formats))
	for _, f := range md.MediaName.Formats {
		pt, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			return nil, fmt.Errorf("%w: payload type %q", ErrMalformedSDP, f)
		}
		m := rtpmap{pt: uint8(pt)}
		if s, ok := staticPayloads[m.pt]; ok {
			m.name, m.clockRate, m.channels = s.name, s.clockRate, s.channels
		}
		index[m.pt] = len(maps)
		maps = append(maps, m)
	}
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" && a.Key != "fmtp" {
			continue
		}
		pt, rest, ok := cutPayloadType(a.Value)
		i, listed := index[pt]
		if !ok || !listed {
			continue
		}
		if a.Key == "fmtp" {
			maps[i].fmtp = rest
			continue
		}
		if err := parseRtpmap(rest, &maps[i]); err != nil {
			return nil, err
		}
	}
	return maps, nil
}

// cutPayloadType splits "96 opus/48000/2" into 96 and the rest.
func cutPayloadType(v string) (uint8, string, bool) {
	ptText, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return 0, "", false
	}
	pt, err := strconv.ParseUint(ptText, 10, 7)
	if err != nil {
		return 0, "", false
	}
	return uint8(pt), strings.TrimSpace(rest), true
}

// parseRtpmap reads "<encoding name>/<clock rate>[/<channels>]" (RFC 8866
// section 6.6) into m.
func parseRtpmap(v string, m *rtpmap) error {
	parts := strings.Split(v, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
		return fmt.Errorf("%w: rtpmap %q", ErrMalformedSDP, v)
	}
	rate, err := strconv.Atoi(parts[1])
	if err != nil || rate <= 0 {
		return fmt.Errorf("%w: rtpmap clock rate %q", ErrMalformedSDP, v)
	}
	m.name, m.clockRate, m.channels = parts[0], rate, 1
	if len(parts) == 3 {
		ch, err := strconv.Atoi(parts[2])
		if err != nil || ch <= 0 || ch > 8 {
			return fmt.Errorf("%w: rtpmap channels %q", ErrMalformedSDP, v)
		}
		m.channels = ch
	}
	return nil
}

// chooseCodec picks, in our preference order, the first codec the peer
// offers; the current codec of a re-offer wins when still offered.
func chooseCodec(maps []rtpmap, p offerPolicy) (media.Codec, bool) {
	prefs := p.codecs
	if p.current != nil {
		prefs = append([]media.Codec{*p.current}, prefs...)
	}
	for _, c := range prefs {
		for _, m := range maps {
			if m.matches(c) {
				return codecFor(c, m.pt), true
			}
		}
	}
	return media.Codec{}, false
}

// chooseDTMF returns the peer's telephone-event payload type and clock
// rate, 0 when it offers none. An event stream at the audio's clock rate
// wins, then one at 8000 Hz (RFC 4733 section 2.1).
func chooseDTMF(maps []rtpmap, audioRate int) (uint8, int) {
	var pt uint8
	var rate int
	for _, m := range maps {
		if m.pt == 0 || !strings.EqualFold(m.name, telephoneEvent) {
			continue
		}
		if _, ok := media.LookupCodec(m.name, m.clockRate); !ok {
			continue
		}
		if m.clockRate == audioRate {
			return m.pt, m.clockRate
		}
		if m.clockRate == 8000 && pt == 0 {
			pt, rate = m.pt, m.clockRate
		}
	}
	return pt, rate
}
