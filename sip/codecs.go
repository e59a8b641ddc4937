package sip

import (
	"strings"

	"github.com/voiced/voiced/media"
)

// telephoneEvent is the RFC 4733 payload format name.
const telephoneEvent = "telephone-event"

// defaultCodecs is what the server answers with when Config.Codecs is
// empty: media's codecs, wideband first (RFC 3551 section 4.5).
func defaultCodecs() []media.Codec {
	return media.SupportedCodecs()
}

// staticPayload describes the static payload types of RFC 3551 section 6
// that a peer may offer without an rtpmap.
type staticPayload struct {
	name      string
	clockRate int
	channels  int
}

// staticPayloads are the audio payload types of RFC 3551 table 4 that we
// can meet.
var staticPayloads = map[uint8]staticPayload{
	0: {"PCMU", 8000, 1},
	8: {"PCMA", 8000, 1},
	9: {"G722", 8000, 1},
}

// rtpmap is one payload format as the peer described it.
type rtpmap struct {
	pt        uint8
	name      string
	clockRate int
	channels  int
	fmtp      string
}

// matches reports whether the peer's format is codec c (RFC 8866 section
// 6.6: names compare case-insensitively).
func (m rtpmap) matches(c media.Codec) bool {
	if !strings.EqualFold(m.name, c.Name) || m.clockRate != c.ClockRate {
		return false
	}
	channels := m.channels
	if channels == 0 {
		channels = 1
	}
	want := c.Channels
	if want == 0 {
		want = 1
	}
	return channels == want
}

// codecFor returns c carrying the peer's payload type.
func codecFor(c media.Codec, pt uint8) media.Codec {
	c.PayloadType = pt
	return c
}

// sameCodec reports whether a and b are the same format, payload type
// aside.
func sameCodec(a, b media.Codec) bool {
	return strings.EqualFold(a.Name, b.Name) && a.ClockRate == b.ClockRate
}
