package qwen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Format tags of a WAV fmt chunk (RFC 2361 appendix A).
const (
	wavFormatPCM        = 0x0001
	wavFormatExtensible = 0xFFFE
)

// wavReader strips the headers from a WAV reply and yields its samples'
// bytes. A streaming server cannot know the data size when it writes the
// header: 0 and 0xFFFFFFFF mean the data runs to the end, and a size
// larger than what comes ends with the reply. After a data chunk of a
// known size, more chunks may follow, a whole new RIFF header among
// them: servers that encode each chunk of a stream separately send one
// WAV file after another (protocols.md 2c). Their rates must agree.
type wavReader struct {
	r       io.Reader
	rate    int   // 0 until the first fmt chunk
	left    int64 // data bytes left in the current chunk; -1 when unbounded
	pad     bool  // a pad byte follows the current data chunk
	fmtSeen bool  // the current file had its fmt chunk
}

// Read returns bytes of the data chunks.
func (w *wavReader) Read(p []byte) (int, error) {
	for w.left == 0 {
		if err := w.next(); err != nil {
			return 0, w.failure(err)
		}
	}
	if w.left > 0 && int64(len(p)) > w.left {
		p = p[:w.left]
	}
	n, err := w.r.Read(p)
	if w.left > 0 {
		w.left -= int64(n)
	}
	return n, err
}

// next reads chunk headers up to the start of the next data chunk. It
// returns io.EOF when the reply ends cleanly between chunks.
func (w *wavReader) next() error {
	if w.pad {
		w.pad = false
		if _, err := io.ReadFull(w.r, make([]byte, 1)); err != nil {
			return err // io.EOF included: the reply may end after the pad
		}
	}
	for {
		var h [8]byte
		if _, err := io.ReadFull(w.r, h[:]); err != nil {
			return err
		}
		id, size := string(h[0:4]), binary.LittleEndian.Uint32(h[4:])
		switch {
		case id == "RIFF":
			var wave [4]byte
			if err := readFull(w.r, wave[:]); err != nil {
				return err
			}
			if string(wave[:]) != "WAVE" {
				return fmt.Errorf("%w: riff file of type %q, not WAVE", ErrBadResponse, wave[:])
			}
			w.fmtSeen = false
		case id == "fmt ":
			if err := w.readFormat(size); err != nil {
				return err
			}
		case id == "data" && !w.fmtSeen:
			return fmt.Errorf("%w: wav data chunk before fmt chunk", ErrBadResponse)
		case id == "data":
			w.left, w.pad = int64(size), size&1 == 1
			if size == 0 || size == 0xFFFFFFFF {
				w.left, w.pad = -1, false
			}
			return nil
		default:
			skip := int64(size) + int64(size&1)
			if _, err := io.CopyN(io.Discard, w.r, skip); err != nil {
				return unexpected(err)
			}
		}
	}
}

// readFormat parses a fmt chunk: 16-bit mono PCM, plain or
// WAVE_FORMAT_EXTENSIBLE, at the rate of any earlier file.
func (w *wavReader) readFormat(size uint32) error {
	if size < 16 || size > 1024 {
		return fmt.Errorf("%w: wav fmt chunk of %d bytes", ErrBadResponse, size)
	}
	b := make([]byte, size+size&1)
	if err := readFull(w.r, b); err != nil {
		return err
	}
	le := binary.LittleEndian
	tag, channels, rate, bits := le.Uint16(b[0:]), le.Uint16(b[2:]), int(le.Uint32(b[4:])),
		le.Uint16(b[14:])
	if tag == wavFormatExtensible && size >= 26 {
		tag = le.Uint16(b[24:]) // the sub-format GUID starts with the real tag
	}
	switch {
	case tag != wavFormatPCM || bits != 16 || channels != 1:
		return fmt.Errorf("%w: wav format %#04x, %d bits, %d channels; want 16-bit mono pcm",
			ErrBadResponse, tag, bits, channels)
	case rate <= 0 || rate > 768000:
		return fmt.Errorf("%w: wav rate %d Hz", ErrBadResponse, rate)
	case w.rate != 0 && rate != w.rate:
		return fmt.Errorf("%w: wav rate changes from %d to %d Hz", ErrBadResponse, w.rate, rate)
	}
	w.rate, w.fmtSeen = rate, true
	return nil
}

// failure explains an error of next: a header cut short is a reply cut
// short.
func (w *wavReader) failure(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: wav header cut short", ErrInterrupted)
	}
	return err
}

// readFull reads len(b) bytes inside a chunk, where the end of the reply
// is never clean.
func readFull(r io.Reader, b []byte) error {
	_, err := io.ReadFull(r, b)
	return unexpected(err)
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
