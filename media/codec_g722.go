package media

// G.722 (ITU-T Recommendation G.722, RFC 3551 section 4.5.2) at
// 64 kbit/s through spandsp: 16 kHz audio, one byte per two samples. The
// RTP clock runs at 8000 Hz even so, an error RFC 1890 made and RFC 3551
// kept for compatibility.

/*
#cgo pkg-config: spandsp
#include <stdint.h>
#include <stdlib.h>
#include <spandsp/telephony.h>
#include <spandsp/g722.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// g722Bitrate is the only G.722 mode voiced speaks; RFC 3551 section
// 4.5.2 defines the payload for it alone.
const g722Bitrate = 64000

// g722Encoder owns a spandsp encoder state. It is not safe for concurrent
// use.
type g722Encoder struct {
	st      *C.g722_encode_state_t
	cleanup runtime.Cleanup
}

// newG722Encoder allocates the native state; a cleanup frees it should
// the encoder be dropped without Close.
func newG722Encoder() (*g722Encoder, error) {
	st := C.g722_encode_init(nil, g722Bitrate, 0)
	if st == nil {
		return nil, errG722Init
	}
	e := &g722Encoder{st: st}
	e.cleanup = runtime.AddCleanup(e, func(st *C.g722_encode_state_t) {
		C.g722_encode_free(st)
	}, st)
	return e, nil
}

// Encode writes len(pcm)/2 bytes; pcm must hold an even number of
// samples, because the codec's band-splitting filter consumes pairs.
func (e *g722Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if e.st == nil {
		return 0, ErrCodecClosed
	}
	if len(pcm)%2 != 0 {
		return 0, ErrFrameSize
	}
	if len(dst) < len(pcm)/2 {
		return 0, ErrShortBuffer
	}
	if len(pcm) == 0 {
		return 0, nil
	}

	n := C.g722_encode(e.st,
		(*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(dst))),
		(*C.int16_t)(unsafe.Pointer(unsafe.SliceData(pcm))),
		C.int(len(pcm)))
	return int(n), nil
}

// Close frees the native state; later calls do nothing.
func (e *g722Encoder) Close() error {
	if e.st == nil {
		return nil
	}
	e.cleanup.Stop()
	C.g722_encode_free(e.st)
	e.st = nil
	return nil
}

// g722Decoder owns a spandsp decoder state. It is not safe for concurrent
// use.
type g722Decoder struct {
	st      *C.g722_decode_state_t
	cleanup runtime.Cleanup
}

// newG722Decoder allocates the native state; a cleanup frees it should
// the decoder be dropped without Close.
func newG722Decoder() (*g722Decoder, error) {
	st := C.g722_decode_init(nil, g722Bitrate, 0)
	if st == nil {
		return nil, errG722Init
	}
	d := &g722Decoder{st: st}
	d.cleanup = runtime.AddCleanup(d, func(st *C.g722_decode_state_t) {
		C.g722_decode_free(st)
	}, st)
	return d, nil
}

// Decode writes two samples per byte of payload.
func (d *g722Decoder) Decode(dst []int16, payload []byte) (int, error) {
	if d.st == nil {
		return 0, ErrCodecClosed
	}
	if len(dst) < 2*len(payload) {
		return 0, ErrShortBuffer
	}
	if len(payload) == 0 {
		return 0, nil
	}

	n := C.g722_decode(d.st,
		(*C.int16_t)(unsafe.Pointer(unsafe.SliceData(dst))),
		(*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(payload))),
		C.int(len(payload)))
	return int(n), nil
}

// Close frees the native state; later calls do nothing.
func (d *g722Decoder) Close() error {
	if d.st == nil {
		return nil
	}
	d.cleanup.Stop()
	C.g722_decode_free(d.st)
	d.st = nil
	return nil
}
