package media

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// Vectors from ITU-T G.711 tables 1a and 2a, in the 16-bit scale of
// the G.191 reference code.
func TestG711Vectors(t *testing.T) {
	tests := []struct {
		name  string
		codec Codec
		pcm   int16
		code  byte
		back  int16 // the decision value the code decodes to
	}{
		{"ulaw zero", PCMU, 0, 0xff, 0},
		{"ulaw minus one", PCMU, -1, 0x7f, 0},
		{"ulaw max", PCMU, math.MaxInt16, 0x80, 32124},
		{"ulaw min", PCMU, math.MinInt16, 0x00, -32124},
		{"ulaw 1000", PCMU, 1000, 0xce, 988},
		{"ulaw -1000", PCMU, -1000, 0x4e, -988},
		{"ulaw 100", PCMU, 100, 0xf2, 104},
		{"alaw zero", PCMA, 0, 0xd5, 8},
		{"alaw minus one", PCMA, -1, 0x55, -8},
		{"alaw max", PCMA, math.MaxInt16, 0xaa, 32256},
		{"alaw min", PCMA, math.MinInt16, 0x2a, -32256},
		{"alaw 1000", PCMA, 1000, 0xfa, 1008},
		{"alaw -1000", PCMA, -1000, 0x7a, -1008},
		{"alaw 100", PCMA, 100, 0xd3, 104},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, dec := newCodecPair(t, tc.codec)
			var code [1]byte
			if _, err := enc.Encode(code[:], []int16{tc.pcm}); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if code[0] != tc.code {
				t.Errorf("Encode(%d): got %#02x, want %#02x", tc.pcm, code[0], tc.code)
			}
			var pcm [1]int16
			if _, err := dec.Decode(pcm[:], []byte{tc.code}); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if pcm[0] != tc.back {
				t.Errorf("Decode(%#02x): got %d, want %d", tc.code, pcm[0], tc.back)
			}
		})
	}
}

// TestG711RoundTrip checks every code and every sample: a decoded code
// encodes back to itself (µ-law's negative zero aside), and a sample's
// round trip is monotonic and stays within half a quantization step.
func TestG711RoundTrip(t *testing.T) {
	for _, c := range []Codec{PCMU, PCMA} {
		enc, dec := newCodecPair(t, c)

		codes := make([]byte, 256)
		for i := range codes {
			codes[i] = byte(i)
		}
		pcm := make([]int16, 256)
		back := make([]byte, 256)
		dec.Decode(pcm, codes)
		enc.Encode(back, pcm)
		for i := range codes {
			want := codes[i]
			if c.Name == "PCMU" && want == 0x7f {
				want = 0xff // negative zero decodes to 0, which is positive
			}
			if back[i] != want {
				t.Errorf("%s: code %#02x decodes to %d, which encodes to %#02x, want %#02x",
					c.Name, codes[i], pcm[i], back[i], want)
			}
		}

		all := make([]int16, 1<<16)
		for i := range all {
			all[i] = int16(i + math.MinInt16)
		}
		coded := make([]byte, len(all))
		out := make([]int16, len(all))
		enc.Encode(coded, all)
		dec.Decode(out, coded)
		for i, x := range all {
			if i > 0 && out[i] < out[i-1] {
				t.Fatalf("%s: round trip not monotonic at %d: %d after %d", c.Name, x, out[i], out[i-1])
			}
			if e := math.Abs(float64(out[i]) - float64(x)); e > math.Abs(float64(x))/16+16 {
				t.Fatalf("%s: round trip of %d gave %d, error %.0f too large", c.Name, x, out[i], e)
			}
		}
	}
}

// newCodecPair returns an encoder and a decoder for c, closed when the
// test ends.
func newCodecPair(t testing.TB, c Codec) (Encoder, Decoder) {
	t.Helper()
	enc, err := NewEncoder(c)
	if err != nil {
		t.Fatalf("NewEncoder(%s): %v", c.Name, err)
	}
	dec, err := NewDecoder(c)
	if err != nil {
		t.Fatalf("NewDecoder(%s): %v", c.Name, err)
	}
	t.Cleanup(func() {
		enc.Close()
		dec.Close()
	})
	return enc, dec
}

// codecRun encodes pcm frame by frame, decodes each payload and returns
// the decoded audio and the total payload size.
func codecRun(t testing.TB, c Codec, pcm []int16) ([]int16, int) {
	t.Helper()
	enc, dec := newCodecPair(t, c)
	frame := SamplesPerFrame(c.SampleRate)
	payload := make([]byte, PayloadBufferSize)
	buf := make([]int16, DecodeBufferSize)
	var out []int16
	bytes := 0
	for f := 0; f+frame <= len(pcm); f += frame {
		n, err := enc.Encode(payload, pcm[f:f+frame])
		if err != nil {
			t.Fatalf("%s: Encode: %v", c.Name, err)
		}
		bytes += n
		m, err := dec.Decode(buf, payload[:n])
		if err != nil {
			t.Fatalf("%s: Decode: %v", c.Name, err)
		}
		if m != frame {
			t.Fatalf("%s: Decode gave %d samples, want %d", c.Name, m, frame)
		}
		out = append(out, buf[:m]...)
	}
	return out, bytes
}

// TestCodecTone sends a second of a tone through each codec and checks
// that it comes back at its level, with little else, at the expected bit
// rate. 1013 Hz keeps the tone's samples from repeating every few, so the
// quantization noise is noise rather than a few harmonics.
func TestCodecTone(t *testing.T) {
	tests := []struct {
		codec      Codec
		minSNR     float64
		minBytes   int // per 20 ms frame
		maxBytes   int
		maxGainErr float64 // dB
	}{
		{PCMU, 35, 160, 160, 0.2},
		{PCMA, 35, 160, 160, 0.2},
		{G722, 30, 160, 160, 0.5},
		{Opus, 15, 20, 120, 1.5},
	}
	for _, tc := range tests {
		t.Run(tc.codec.Name, func(t *testing.T) {
			const amp = 10000.0
			rate := tc.codec.SampleRate
			out, bytes := codecRun(t, tc.codec, toneSignal(rate, 1013, amp, rate))
			gotAmp, snr := toneFit(out[rate/10:], rate, 1013) // skip the codec's start-up
			gainDB := 20 * math.Log10(gotAmp/amp)
			perFrame := bytes / 50
			t.Logf("%s: gain %.2f dB, SNR %.1f dB, %d bytes per frame", tc.codec.Name, gainDB, snr, perFrame)
			if snr < tc.minSNR {
				t.Errorf("SNR: got %.1f dB, want > %.0f dB", snr, tc.minSNR)
			}
			if math.Abs(gainDB) > tc.maxGainErr {
				t.Errorf("gain: got %.2f dB, want within %.1f dB", gainDB, tc.maxGainErr)
			}
			if perFrame < tc.minBytes || perFrame > tc.maxBytes {
				t.Errorf("payload: got %d bytes per frame, want %d-%d", perFrame, tc.minBytes, tc.maxBytes)
			}
		})
	}
}

// TestOpusStereoPeer checks that the mono decoder plays what a peer
// encodes in stereo at 48 kHz, as RFC 7587 section 3.4 lets it send.
func TestOpusStereoPeer(t *testing.T) {
	peer, err := newOpusEncoder(48000, 2)
	if err != nil {
		t.Fatalf("newOpusEncoder: %v", err)
	}
	defer peer.Close()
	dec, err := NewDecoder(Opus)
	if err != nil {
		t.Fatalf("NewDecoder: %v", err)
	}
	defer dec.Close()

	const amp = 10000.0
	mono := toneSignal(48000, 1000, amp, 48000)
	stereo := make([]int16, 2*len(mono))
	for i, v := range mono {
		stereo[2*i], stereo[2*i+1] = v, v
	}
	payload := make([]byte, PayloadBufferSize)
	buf := make([]int16, DecodeBufferSize)
	var out []int16
	for f := 0; f+2*960 <= len(stereo); f += 2 * 960 {
		n, err := peer.Encode(payload, stereo[f:f+2*960])
		if err != nil {
			t.Fatalf("stereo Encode: %v", err)
		}
		m, err := dec.Decode(buf, payload[:n])
		if err != nil {
			t.Fatalf("Decode of a stereo packet: %v", err)
		}
		if m != 320 {
			t.Fatalf("Decode of a stereo packet: got %d samples, want 320", m)
		}
		out = append(out, buf[:m]...)
	}

	gotAmp, snr := toneFit(out[1600:], 16000, 1000)
	t.Logf("stereo peer: gain %.2f dB, SNR %.1f dB", 20*math.Log10(gotAmp/amp), snr)
	if gotAmp < amp/2 || gotAmp > amp*2 || snr < 10 {
		t.Errorf("got amplitude %.0f at SNR %.1f dB, want about %.0f, SNR > 10 dB", gotAmp, snr, amp)
	}
}

// TestOpusLoss checks packet-loss concealment and FEC recovery: both
// must give a full frame that continues the tone.
func TestOpusLoss(t *testing.T) {
	enc, dec := newCodecPair(t, Opus)
	pcm := toneSignal(16000, 500, 8000, 16000)
	var packets [][]byte
	for f := 0; f+320 <= len(pcm); f += 320 {
		p := make([]byte, PayloadBufferSize)
		n, err := enc.Encode(p, pcm[f:f+320])
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		packets = append(packets, p[:n])
	}

	buf := make([]int16, DecodeBufferSize)
	for _, p := range packets[:25] {
		if _, err := dec.Decode(buf, p); err != nil {
			t.Fatalf("Decode: %v", err)
		}
	}
	n, err := dec.(Concealer).Conceal(buf)
	if err != nil || n != 320 {
		t.Fatalf("Conceal: got %d, %v, want 320, nil", n, err)
	}
	if rmsOf(buf[:n]) < 1000 {
		t.Errorf("Conceal: got rms %.0f, want the tone continued", rmsOf(buf[:n]))
	}

	// Packet 26 is lost; rebuild it from packet 27.
	dec.Decode(buf, packets[25])
	n, err = dec.(FECDecoder).DecodeFEC(buf, packets[27])
	if err != nil || n != 320 {
		t.Fatalf("DecodeFEC: got %d, %v, want 320, nil", n, err)
	}
	if rmsOf(buf[:n]) < 1000 {
		t.Errorf("DecodeFEC: got rms %.0f, want the tone rebuilt", rmsOf(buf[:n]))
	}
	if _, err := dec.(Concealer).Conceal(buf[:100]); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("Conceal into 100 samples: got %v, want ErrShortBuffer", err)
	}
}

func TestCodecErrors(t *testing.T) {
	tests := []struct {
		name    string
		codec   Codec
		dst     int
		pcm     int
		wantErr error
	}{
		{"g711 short dst", PCMU, 159, 160, ErrShortBuffer},
		{"g722 odd pcm", G722, 160, 319, ErrFrameSize},
		{"g722 short dst", G722, 159, 320, ErrShortBuffer},
		{"opus odd frame", Opus, PayloadBufferSize, 300, ErrFrameSize},
		{"opus empty pcm", Opus, PayloadBufferSize, 0, ErrFrameSize},
		{"opus empty dst", Opus, 0, 320, ErrShortBuffer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, _ := newCodecPair(t, tc.codec)
			_, err := enc.Encode(make([]byte, tc.dst), make([]int16, tc.pcm))
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Encode: got %v, want %v", err, tc.wantErr)
			}
		})
	}

	_, dec := newCodecPair(t, Opus)
	if _, err := dec.Decode(make([]int16, 320), nil); !errors.Is(err, ErrEmptyPayload) {
		t.Errorf("opus Decode of nothing: got %v, want ErrEmptyPayload", err)
	}
	_, dec = newCodecPair(t, G722)
	if _, err := dec.Decode(make([]int16, 319), make([]byte, 160)); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("g722 Decode into 319: got %v, want ErrShortBuffer", err)
	}
}

func TestCodecClose(t *testing.T) {
	for _, c := range SupportedCodecs() {
		enc, dec := newCodecPair(t, c)
		for i := range 2 {
			if err := enc.Close(); err != nil {
				t.Errorf("%s: encoder Close #%d: %v", c.Name, i+1, err)
			}
			if err := dec.Close(); err != nil {
				t.Errorf("%s: decoder Close #%d: %v", c.Name, i+1, err)
			}
		}
		if c.Name == "PCMU" || c.Name == "PCMA" {
			continue // stateless: usable after Close
		}
		pcm := make([]int16, SamplesPerFrame(c.SampleRate))
		if _, err := enc.Encode(make([]byte, PayloadBufferSize), pcm); !errors.Is(err, ErrCodecClosed) {
			t.Errorf("%s: Encode after Close: got %v, want ErrCodecClosed", c.Name, err)
		}
		if _, err := dec.Decode(pcm, []byte{1, 2}); !errors.Is(err, ErrCodecClosed) {
			t.Errorf("%s: Decode after Close: got %v, want ErrCodecClosed", c.Name, err)
		}
	}
}

func TestLookupCodec(t *testing.T) {
	tests := []struct {
		name   string
		rate   int
		want   Codec
		wantOK bool
	}{
		{"PCMU", 8000, PCMU, true},
		{"pcmu", 8000, PCMU, true},
		{"PCMA", 8000, PCMA, true},
		{"G722", 8000, G722, true},
		{"G722", 16000, Codec{}, false},
		{"opus", 48000, Opus, true},
		{"OPUS", 48000, Opus, true},
		{"opus", 16000, Codec{}, false},
		{"telephone-event", 8000, TelephoneEvent, true},
		{"telephone-event", 48000, Codec{Name: "telephone-event", PayloadType: 101,
			ClockRate: 48000, Channels: 1, SampleRate: 48000}, true},
		{"telephone-event", 44100, Codec{}, false},
		{"G729", 8000, Codec{}, false},
		{"", 0, Codec{}, false},
	}
	for _, tc := range tests {
		got, ok := LookupCodec(tc.name, tc.rate)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("LookupCodec(%q, %d): got %+v, %v, want %+v, %v",
				tc.name, tc.rate, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestSupportedCodecs(t *testing.T) {
	got := SupportedCodecs()
	want := []Codec{Opus, G722, PCMU, PCMA}
	if !slices.Equal(got, want) {
		t.Fatalf("SupportedCodecs: got %v, want %v", got, want)
	}
	got[0] = Codec{}
	if again := SupportedCodecs(); again[0] != Opus {
		t.Errorf("SupportedCodecs after the caller changed its slice: got %v first, want Opus", again[0])
	}
}

func TestNewCodecUnsupported(t *testing.T) {
	for _, c := range []Codec{
		{Name: "G729", ClockRate: 8000},
		TelephoneEvent,
		{Name: "PCMU", ClockRate: 8000, SampleRate: 16000},
		{Name: "G722", ClockRate: 16000},
		{Name: "opus", ClockRate: 48000, SampleRate: 44100},
	} {
		if _, err := NewEncoder(c); !errors.Is(err, ErrUnsupportedCodec) {
			t.Errorf("NewEncoder(%+v): got %v, want ErrUnsupportedCodec", c, err)
		}
		if _, err := NewDecoder(c); !errors.Is(err, ErrUnsupportedCodec) {
			t.Errorf("NewDecoder(%+v): got %v, want ErrUnsupportedCodec", c, err)
		}
	}
}

// codecFrame returns one encoded 20 ms frame of a tone for c, to seed
// fuzzing with valid payloads.
func codecFrame(t testing.TB, c Codec) []byte {
	enc, err := NewEncoder(c)
	if err != nil {
		t.Fatalf("NewEncoder(%s): %v", c.Name, err)
	}
	defer enc.Close()
	payload := make([]byte, PayloadBufferSize)
	n, err := enc.Encode(payload, toneSignal(c.SampleRate, 700, 9000, SamplesPerFrame(c.SampleRate)))
	if err != nil {
		t.Fatalf("Encode(%s): %v", c.Name, err)
	}
	return payload[:n]
}

// FuzzDecode feeds arbitrary payloads to every decoder: none may crash
// or report more samples than dst holds.
func FuzzDecode(f *testing.F) {
	codecs := []Codec{PCMU, PCMA, G722, Opus}
	for i, c := range codecs {
		f.Add(uint8(i), codecFrame(f, c))
		f.Add(uint8(i), []byte{})
		f.Add(uint8(i), []byte{0xff})
	}
	f.Add(uint8(3), []byte{0xfc, 0xff, 0xfe})       // code 3 frame count overflow
	f.Add(uint8(3), []byte{0x7b, 0x07, 0x00, 0x01}) // stereo CELT, 4 bytes

	decs := make([]Decoder, len(codecs))
	for i, c := range codecs {
		d, err := NewDecoder(c)
		if err != nil {
			f.Fatalf("NewDecoder(%s): %v", c.Name, err)
		}
		decs[i] = d
	}
	dst := make([]int16, DecodeBufferSize)

	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		if len(payload) > PayloadBufferSize {
			payload = payload[:PayloadBufferSize]
		}
		dec := decs[int(which)%len(decs)]
		n, err := dec.Decode(dst, payload)
		if n < 0 || n > len(dst) || err != nil && n != 0 {
			t.Fatalf("Decode of %d bytes: got %d, %v", len(payload), n, err)
		}
		if c, ok := dec.(Concealer); ok {
			if n, err := c.Conceal(dst); err != nil || n != 320 {
				t.Fatalf("Conceal: got %d, %v, want 320, nil", n, err)
			}
		}
		if fec, ok := dec.(FECDecoder); ok {
			n, err := fec.DecodeFEC(dst, payload)
			if n < 0 || n > len(dst) || err != nil && n != 0 {
				t.Fatalf("DecodeFEC of %d bytes: got %d, %v", len(payload), n, err)
			}
		}
	})
}

func TestCodecAllocs(t *testing.T) {
	for _, c := range SupportedCodecs() {
		enc, dec := newCodecPair(t, c)
		pcm := toneSignal(c.SampleRate, 700, 9000, SamplesPerFrame(c.SampleRate))
		payload := make([]byte, PayloadBufferSize)
		out := make([]int16, DecodeBufferSize)
		var n int
		encAllocs := testing.AllocsPerRun(50, func() { n, _ = enc.Encode(payload, pcm) })
		decAllocs := testing.AllocsPerRun(50, func() { dec.Decode(out, payload[:n]) })
		if encAllocs != 0 || decAllocs != 0 {
			t.Errorf("%s: got %v allocs per Encode and %v per Decode, want 0 and 0",
				c.Name, encAllocs, decAllocs)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range SupportedCodecs() {
		b.Run(c.Name, func(b *testing.B) {
			enc, _ := newCodecPair(b, c)
			pcm := toneSignal(c.SampleRate, 700, 9000, SamplesPerFrame(c.SampleRate))
			payload := make([]byte, PayloadBufferSize)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc.Encode(payload, pcm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range SupportedCodecs() {
		b.Run(c.Name, func(b *testing.B) {
			_, dec := newCodecPair(b, c)
			payload := codecFrame(b, c)
			out := make([]int16, DecodeBufferSize)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dec.Decode(out, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpusConceal(b *testing.B) {
	_, dec := newCodecPair(b, Opus)
	out := make([]int16, DecodeBufferSize)
	dec.Decode(out, codecFrame(b, Opus))
	c := dec.(Concealer)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Conceal(out); err != nil {
			b.Fatal(err)
		}
	}
}
