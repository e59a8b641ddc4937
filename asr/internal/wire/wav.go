package wire

import "encoding/binary"

// wavHeader is the size of a canonical PCM WAV header.
const wavHeader = 44

// WAV returns pcm as a mono, 16-bit little-endian PCM WAV file at rate Hz
// (the canonical 44-byte RIFF header, then the samples).
func WAV(pcm []int16, rate int) []byte {
	size := 2 * len(pcm)
	b := make([]byte, wavHeader+size)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+size))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16) // fmt chunk size
	binary.LittleEndian.PutUint16(b[20:], 1)  // PCM
	binary.LittleEndian.PutUint16(b[22:], 1)  // mono
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*rate)) // byte rate
	binary.LittleEndian.PutUint16(b[32:], 2)              // block align
	binary.LittleEndian.PutUint16(b[34:], 16)             // bits per sample
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(size))
	PCM16(b[wavHeader:], pcm)
	return b
}

// PCM16 writes pcm into dst as little-endian 16-bit samples; dst must hold
// 2*len(pcm) bytes.
func PCM16(dst []byte, pcm []int16) {
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(dst[2*i:], uint16(v))
	}
}
