package media

// Opus (RFC 6716) in RTP (RFC 7587) through libopus. The RTP clock always
// runs at 48 kHz and SDP always says two channels (RFC 7587 sections 4.1
// and 7), but the codec itself encodes and decodes at any of 8, 12, 16, 24
// or 48 kHz, mono or stereo, whatever the peer sends: voiced runs it mono
// at PipelineRate, so no resampling is needed.
//
// This binds libopus directly rather than through a Go wrapper, so that
// building needs only libopus-dev and no build tag, and so that Encode and
// Decode pass the caller's slices straight to C without allocating.

/*
#cgo pkg-config: opus
#include <opus.h>

// Variadic opus_encoder_ctl cannot be called from Go.
static int voiced_opus_encoder_setup(OpusEncoder *st, opus_int32 bitrate,
		int fec, int loss, int dtx) {
	int rc;
	if ((rc = opus_encoder_ctl(st, OPUS_SET_BITRATE(bitrate))) != OPUS_OK)
		return rc;
	if ((rc = opus_encoder_ctl(st, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE))) != OPUS_OK)
		return rc;
	if ((rc = opus_encoder_ctl(st, OPUS_SET_INBAND_FEC(fec))) != OPUS_OK)
		return rc;
	if ((rc = opus_encoder_ctl(st, OPUS_SET_PACKET_LOSS_PERC(loss))) != OPUS_OK)
		return rc;
	return opus_encoder_ctl(st, OPUS_SET_DTX(dtx));
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// Encoder settings for speech over the public internet (RFC 7587 section
// 3.1.1 recommends 20-32 kbit/s for fullband speech; wideband needs less).
const (
	opusBitrate = 24000
	// opusLossPercent tells the encoder how much loss to expect, which
	// decides how many bits in-band FEC (RFC 7587 section 3.3) may take.
	opusLossPercent = 5
	// opusMaxPacket is the largest packet libopus produces for one frame
	// (RFC 6716 section 3.4, requirement R2: 1275 bytes).
	opusMaxPacket = 1275
)

// opusError is a libopus error code (a negative OPUS_* value).
type opusError C.int

func (e opusError) Error() string {
	return "libopus: " + C.GoString(C.opus_strerror(C.int(e)))
}

// opusRateOK reports whether libopus encodes and decodes natively at rate.
func opusRateOK(rate int) bool {
	switch rate {
	case 8000, 12000, 16000, 24000, 48000:
		return true
	}
	return false
}

// opusEncoder owns a libopus encoder. It is not safe for concurrent use.
type opusEncoder struct {
	st       *C.OpusEncoder
	channels int
	cleanup  runtime.Cleanup
}

// newOpusEncoder creates an encoder for VoIP with in-band FEC on and DTX
// off, so that every tick yields a packet and a lost one can be rebuilt
// from the next.
func newOpusEncoder(rate, channels int) (*opusEncoder, error) {
	var rc C.int
	st := C.opus_encoder_create(C.opus_int32(rate), C.int(channels),
		C.OPUS_APPLICATION_VOIP, &rc)
	if rc != C.OPUS_OK || st == nil {
		return nil, fmt.Errorf("create opus encoder at %d Hz: %w", rate, opusError(rc))
	}
	rc = C.voiced_opus_encoder_setup(st, opusBitrate, 1, opusLossPercent, 0)
	if rc != C.OPUS_OK {
		C.opus_encoder_destroy(st)
		return nil, fmt.Errorf("configure opus encoder: %w", opusError(rc))
	}

	e := &opusEncoder{st: st, channels: channels}
	e.cleanup = runtime.AddCleanup(e, func(st *C.OpusEncoder) {
		C.opus_encoder_destroy(st)
	}, st)
	return e, nil
}

// Encode encodes one frame of 2.5, 5, 10, 20, 40 or 60 ms (interleaved
// when the encoder is stereo).
func (e *opusEncoder) Encode(dst []byte, pcm []int16) (int, error) {
	if e.st == nil {
		return 0, ErrCodecClosed
	}
	if len(pcm) == 0 || len(pcm)%e.channels != 0 {
		return 0, ErrFrameSize
	}
	if len(dst) == 0 {
		return 0, ErrShortBuffer
	}

	n := C.opus_encode(e.st,
		(*C.opus_int16)(unsafe.Pointer(unsafe.SliceData(pcm))),
		C.int(len(pcm)/e.channels),
		(*C.uchar)(unsafe.Pointer(unsafe.SliceData(dst))),
		C.opus_int32(min(len(dst), opusMaxPacket)))
	if n < 0 {
		return 0, opusResult("opus encode", n)
	}
	return int(n), nil
}

// Close destroys the native encoder; later calls do nothing.
func (e *opusEncoder) Close() error {
	if e.st == nil {
		return nil
	}
	e.cleanup.Stop()
	C.opus_encoder_destroy(e.st)
	e.st = nil
	return nil
}

// opusResult maps a negative libopus return to a sentinel where one
// exists, so callers can test for it with errors.Is.
func opusResult(op string, rc C.int) error {
	switch rc {
	case C.OPUS_BAD_ARG:
		return fmt.Errorf("%s: %w: %w", op, ErrFrameSize, opusError(rc))
	case C.OPUS_BUFFER_TOO_SMALL:
		return fmt.Errorf("%s: %w: %w", op, ErrShortBuffer, opusError(rc))
	}
	return fmt.Errorf("%s: %w", op, opusError(rc))
}

// FECDecoder is implemented by decoders that can rebuild a lost frame
// from redundancy carried in the packet after it (Opus in-band FEC, RFC
// 7587 section 3.3). Use it when the packet after a gap has arrived
// before the lost frame must be played; fall back to Concealer otherwise.
type FECDecoder interface {
	// DecodeFEC writes the frame lost just before next into dst and
	// returns how many samples it wrote. next is then decoded as usual
	// with Decode. Without redundancy in next it conceals instead.
	DecodeFEC(dst []int16, next []byte) (int, error)
}

// opusDecoder owns a mono libopus decoder. It is not safe for concurrent
// use. libopus downmixes stereo packets for a mono decoder, so it plays
// whatever a peer sends despite the "/2" in SDP.
type opusDecoder struct {
	st      *C.OpusDecoder
	rate    int
	cleanup runtime.Cleanup
}

var (
	_ Concealer  = (*opusDecoder)(nil)
	_ FECDecoder = (*opusDecoder)(nil)
)

func newOpusDecoder(rate int) (*opusDecoder, error) {
	var rc C.int
	st := C.opus_decoder_create(C.opus_int32(rate), 1, &rc)
	if rc != C.OPUS_OK || st == nil {
		return nil, fmt.Errorf("create opus decoder at %d Hz: %w", rate, opusError(rc))
	}

	d := &opusDecoder{st: st, rate: rate}
	d.cleanup = runtime.AddCleanup(d, func(st *C.OpusDecoder) {
		C.opus_decoder_destroy(st)
	}, st)
	return d, nil
}

// Decode decodes one packet of up to 120 ms; dst must hold all of it.
func (d *opusDecoder) Decode(dst []int16, payload []byte) (int, error) {
	if d.st == nil {
		return 0, ErrCodecClosed
	}
	if len(payload) == 0 {
		// libopus would take an empty packet as a loss and conceal it.
		return 0, ErrEmptyPayload
	}
	return d.decode(dst, payload, len(dst), 0)
}

// Conceal synthesizes one 20 ms frame from the decoder's history (Opus
// packet-loss concealment).
func (d *opusDecoder) Conceal(dst []int16) (int, error) {
	if d.st == nil {
		return 0, ErrCodecClosed
	}
	return d.decode(dst, nil, SamplesPerFrame(d.rate), 0)
}

// DecodeFEC rebuilds the frame before next from next's FEC data. The lost
// frame is taken to last as long as next does.
func (d *opusDecoder) DecodeFEC(dst []int16, next []byte) (int, error) {
	if d.st == nil {
		return 0, ErrCodecClosed
	}
	if len(next) == 0 {
		return 0, ErrEmptyPayload
	}
	frame := C.opus_packet_get_nb_samples(
		(*C.uchar)(unsafe.Pointer(unsafe.SliceData(next))),
		C.opus_int32(len(next)), C.opus_int32(d.rate))
	if frame <= 0 {
		return 0, opusResult("opus fec", frame)
	}
	return d.decode(dst, next, int(frame), 1)
}

// decode runs opus_decode for frame samples; payload nil means conceal.
func (d *opusDecoder) decode(dst []int16, payload []byte, frame int, fec C.int) (int, error) {
	if frame <= 0 || len(dst) < frame {
		return 0, ErrShortBuffer
	}

	n := C.opus_decode(d.st,
		(*C.uchar)(unsafe.Pointer(unsafe.SliceData(payload))),
		C.opus_int32(len(payload)),
		(*C.opus_int16)(unsafe.Pointer(unsafe.SliceData(dst))),
		C.int(frame), fec)
	if n < 0 {
		return 0, opusResult("opus decode", n)
	}
	return int(n), nil
}

// Close destroys the native decoder; later calls do nothing.
func (d *opusDecoder) Close() error {
	if d.st == nil {
		return nil
	}
	d.cleanup.Stop()
	C.opus_decoder_destroy(d.st)
	d.st = nil
	return nil
}
