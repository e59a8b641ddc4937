package media

// G.711 (ITU-T Recommendation G.711, RFC 3551 section 4.5.14) carries
// 8 kHz audio as one byte per sample, companded by the µ-law (PCMU) or
// the A-law (PCMA). The tables below follow the reference implementation
// of ITU-T G.191 (the Software Tools Library), so every bit pattern
// matches the Recommendation.
//
// Encoding looks up the top 14 bits of a sample in a 16384-entry table,
// which holds all the precision either law keeps; decoding looks the byte
// up in a 256-entry table. Neither allocates.

// g711Bits is how many of a sample's top bits select an encoding table
// entry: µ-law quantizes 14-bit magnitudes, A-law 13-bit ones.
const g711Bits = 14

var (
	ulawEncode = buildEncodeTable(ulawCompress)
	alawEncode = buildEncodeTable(alawCompress)
	ulawDecode = buildDecodeTable(ulawExpand)
	alawDecode = buildDecodeTable(alawExpand)
)

// buildEncodeTable fills a table indexed by the top 14 bits of a sample,
// read as unsigned so that negative samples follow the positive ones.
func buildEncodeTable(compress func(int16) byte) *[1 << g711Bits]byte {
	var t [1 << g711Bits]byte
	for i := range t {
		t[i] = compress(int16(uint16(i) << (16 - g711Bits)))
	}
	return &t
}

func buildDecodeTable(expand func(byte) int16) *[256]int16 {
	var t [256]int16
	for i := range t {
		t[i] = expand(byte(i))
	}
	return &t
}

// g711Index returns the encoding table entry of sample s. Both laws
// depend only on these bits: the reference code drops the low two (µ-law)
// or four (A-law) bits and takes the one's complement of negative values,
// which commutes with an arithmetic shift.
func g711Index(s int16) uint16 { return uint16(s) >> (16 - g711Bits) }

// ulawCompress is G.191's ulaw_compress for one sample.
func ulawCompress(s int16) byte {
	v := int32(s)
	if v < 0 {
		v = ^v
	}
	abs := v>>2 + 33 // biased magnitude
	if abs > 0x1fff {
		abs = 0x1fff
	}

	seg := int32(1)
	for i := abs >> 6; i != 0; i >>= 1 {
		seg++
	}
	high := 8 - seg
	low := 0xf - (abs>>seg)&0xf
	out := byte(high<<4 | low)
	if s >= 0 {
		out |= 0x80
	}
	return out
}

// ulawExpand is G.191's ulaw_expand for one code.
func ulawExpand(b byte) int16 {
	m := int32(^b)
	exp := (m >> 4) & 7
	mant := m & 0xf
	step := int32(4) << (exp + 1)
	v := 0x80<<exp + step*mant + step/2 - 4*33
	if b < 0x80 {
		v = -v
	}
	return int16(v)
}

// alawCompress is G.191's alaw_compress for one sample.
func alawCompress(s int16) byte {
	v := int32(s)
	if v < 0 {
		v = ^v
	}
	ix := v >> 4
	if ix > 15 {
		exp := int32(1)
		for ix > 16+15 {
			ix >>= 1
			exp++
		}
		ix -= 16 // the leading one of the mantissa is implied
		ix += exp << 4
	}
	if s >= 0 {
		ix |= 0x80
	}
	return byte(ix) ^ 0x55
}

// alawExpand is G.191's alaw_expand for one code.
func alawExpand(b byte) int16 {
	ix := int32(b^0x55) & 0x7f
	exp := ix >> 4
	mant := ix & 0xf
	if exp > 0 {
		mant += 16 // restore the implied leading one
	}
	mant = mant<<4 + 8 // left-justify and add half a quantization step
	if exp > 1 {
		mant <<= exp - 1
	}
	if b < 0x80 {
		mant = -mant
	}
	return int16(mant)
}

// g711Encoder encodes with one of the two encoding tables. It holds no
// state, so one value may serve any number of goroutines.
type g711Encoder struct {
	table *[1 << g711Bits]byte
}

// Encode writes one byte per sample of pcm.
func (e g711Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if len(dst) < len(pcm) {
		return 0, ErrShortBuffer
	}
	dst = dst[:len(pcm)]
	for i, s := range pcm {
		dst[i] = e.table[g711Index(s)]
	}
	return len(pcm), nil
}

// Close does nothing: G.711 holds no native resources.
func (g711Encoder) Close() error { return nil }

// g711Decoder decodes with one of the two decoding tables. It holds no
// state.
type g711Decoder struct {
	table *[256]int16
}

// Decode writes one sample per byte of payload.
func (d g711Decoder) Decode(dst []int16, payload []byte) (int, error) {
	if len(dst) < len(payload) {
		return 0, ErrShortBuffer
	}
	dst = dst[:len(payload)]
	for i, b := range payload {
		dst[i] = d.table[b]
	}
	return len(payload), nil
}

// Close does nothing: G.711 holds no native resources.
func (g711Decoder) Close() error { return nil }
