package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Format tags of the fmt chunk (RFC 2361 appendix A).
const (
	wavFormatPCM        = 0x0001
	wavFormatExtensible = 0xFFFE
)

// wavSubtypePCM is the tail of KSDATAFORMAT_SUBTYPE_PCM
// (00000001-0000-0010-8000-00aa00389b71) after its first two bytes, which
// repeat the format tag.
var wavSubtypePCM = []byte{
	0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
}

// Limits that keep a hostile header from describing absurd audio.
const (
	maxWAVChannels = 16
	maxWAVRate     = 768000
	// wavSizeUnknown is the data size streaming writers put in the header
	// when they cannot seek back: the data runs to the end of the input.
	wavSizeUnknown = 0xFFFFFFFF
)

// WAV is decoded 16-bit PCM audio.
type WAV struct {
	// Rate is the sample rate in Hz.
	Rate int
	// Channels is the number of interleaved channels.
	Channels int
	// Samples holds the audio interleaved by channel: for stereo, left,
	// right, left, right, and so on.
	Samples []int16
}

// Frames is the number of samples per channel.
func (w *WAV) Frames() int {
	if w.Channels <= 0 {
		return 0
	}
	return len(w.Samples) / w.Channels
}

// Duration is how long the audio plays.
func (w *WAV) Duration() time.Duration {
	if w.Rate <= 0 {
		return 0
	}
	return time.Duration(w.Frames()) * time.Second / time.Duration(w.Rate)
}

// Channel returns a copy of channel c's samples (0 is left).
func (w *WAV) Channel(c int) []int16 {
	if c < 0 || c >= w.Channels {
		return nil
	}
	out := make([]int16, 0, w.Frames())
	for i := c; i < len(w.Samples); i += w.Channels {
		out = append(out, w.Samples[i])
	}
	return out
}

// WriteTo writes w as a canonical 44-byte-header PCM WAVE file.
func (w *WAV) WriteTo(dst io.Writer) (int64, error) {
	if w.Channels <= 0 || w.Channels > maxWAVChannels || w.Rate <= 0 || w.Rate > maxWAVRate {
		return 0, fmt.Errorf("write wav: %d channels at %d Hz: %w", w.Channels, w.Rate,
			ErrUnsupportedWAV)
	}
	data := 2 * len(w.Samples)
	if int64(data) > wavSizeUnknown-36 {
		return 0, fmt.Errorf("write wav: %d bytes of samples do not fit a riff chunk", data)
	}
	buf := make([]byte, 44+data)
	putWAVHeader(buf, w.Rate, w.Channels, 36, uint32(data))
	copy(buf[36:], "data")
	binary.LittleEndian.PutUint32(buf[40:], uint32(data))
	for i, s := range w.Samples {
		binary.LittleEndian.PutUint16(buf[44+2*i:], uint16(s))
	}
	n, err := dst.Write(buf)
	return int64(n), err
}

// putWAVHeader fills the first 36 bytes of a WAVE file: the RIFF header,
// whose size is before (what precedes the samples, less the first 8
// bytes) plus data, then a 16-byte PCM fmt chunk.
func putWAVHeader(b []byte, rate, channels int, before, data uint32) {
	le := binary.LittleEndian
	copy(b[0:], "RIFF")
	le.PutUint32(b[4:], before+data)
	copy(b[8:], "WAVEfmt ")
	le.PutUint32(b[16:], 16)
	le.PutUint16(b[20:], wavFormatPCM)
	le.PutUint16(b[22:], uint16(channels))
	le.PutUint32(b[24:], uint32(rate))
	le.PutUint32(b[28:], uint32(rate*channels*2))
	le.PutUint16(b[32:], uint16(channels*2))
	le.PutUint16(b[34:], 16)
}

// ReadWAV decodes a 16-bit PCM WAVE file: the plain layout flite and sox
// write, WAVE_FORMAT_EXTENSIBLE, and files with other chunks (LIST, fact,
// cue) around the audio, which it skips. It stops reading after the data
// chunk. A data size of 0xFFFFFFFF, which streaming writers use, reads to
// the end of r.
func ReadWAV(r io.Reader) (*WAV, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("read wav header: %w", ErrNotWAV)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("read wav header %q: %w", hdr[:], ErrNotWAV)
	}

	var w *WAV
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, fmt.Errorf("read wav: no data chunk: %w", ErrTruncatedWAV)
		}
		id, size := string(ch[0:4]), binary.LittleEndian.Uint32(ch[4:8])
		switch {
		case id == "fmt ":
			f, err := readWAVFormat(r, size)
			if err != nil {
				return nil, err
			}
			w = f
		case id == "data" && w == nil:
			return nil, fmt.Errorf("read wav: data chunk before fmt chunk: %w", ErrNotWAV)
		case id == "data":
			if err := readWAVData(r, w, size); err != nil {
				return nil, err
			}
			return w, nil
		default:
			// Chunks are padded to an even size (RIFF, Multimedia
			// Programming Interface and Data Specifications 1.0).
			skip := int64(size) + int64(size&1)
			if n, err := io.CopyN(io.Discard, r, skip); err != nil || n != skip {
				return nil, fmt.Errorf("read wav: skip %q chunk: %w", id, ErrTruncatedWAV)
			}
		}
	}
}

// readWAVFormat parses a fmt chunk of size bytes.
func readWAVFormat(r io.Reader, size uint32) (*WAV, error) {
	if size < 16 || size > 1024 {
		return nil, fmt.Errorf("read wav: fmt chunk of %d bytes: %w", size, ErrNotWAV)
	}
	b := make([]byte, size+size&1)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("read wav: fmt chunk: %w", ErrTruncatedWAV)
	}
	le := binary.LittleEndian
	tag, channels, rate := le.Uint16(b[0:]), int(le.Uint16(b[2:])), int(le.Uint32(b[4:]))
	align, bits := int(le.Uint16(b[12:])), le.Uint16(b[14:])

	if tag == wavFormatExtensible {
		// WAVEFORMATEXTENSIBLE: cbSize, valid bits, channel mask, then the
		// sub-format GUID whose first two bytes are the real format tag.
		if size < 40 || le.Uint16(b[16:]) < 22 {
			return nil, fmt.Errorf("read wav: short extensible fmt chunk: %w", ErrNotWAV)
		}
		if valid := le.Uint16(b[18:]); valid != 0 && valid != bits {
			return nil, fmt.Errorf("read wav: %d valid bits in %d: %w", valid, bits,
				ErrUnsupportedWAV)
		}
		tag = le.Uint16(b[24:])
		if !bytes.Equal(b[26:40], wavSubtypePCM) {
			return nil, fmt.Errorf("read wav: extensible sub-format is not pcm: %w",
				ErrUnsupportedWAV)
		}
	}
	if tag != wavFormatPCM || bits != 16 {
		return nil, fmt.Errorf("read wav: format %#04x with %d bits: %w", tag, bits,
			ErrUnsupportedWAV)
	}
	if channels < 1 || channels > maxWAVChannels || rate < 1 || rate > maxWAVRate ||
		align != 2*channels {
		return nil, fmt.Errorf("read wav: %d channels at %d Hz, block align %d: %w",
			channels, rate, align, ErrNotWAV)
	}
	return &WAV{Rate: rate, Channels: channels}, nil
}

// readWAVData reads size bytes of samples into w.
func readWAVData(r io.Reader, w *WAV, size uint32) error {
	align := 2 * w.Channels
	var data []byte
	var err error
	if size == wavSizeUnknown {
		data, err = io.ReadAll(r)
		data = data[:len(data)-len(data)%align]
	} else {
		// LimitReader grows the buffer as bytes arrive, so a header that
		// claims gigabytes costs nothing until they are really there.
		data, err = io.ReadAll(io.LimitReader(r, int64(size)))
		if err == nil && len(data) < int(size) {
			err = ErrTruncatedWAV
		}
		if err == nil && len(data)%align != 0 {
			err = fmt.Errorf("%d bytes of data are not whole %d-byte frames: %w",
				len(data), align, ErrNotWAV)
		}
	}
	if err != nil {
		return fmt.Errorf("read wav data: %w", err)
	}
	w.Samples = make([]int16, len(data)/2)
	for i := range w.Samples {
		w.Samples[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	return nil
}
