package dialog

import (
	"sync/atomic"
	"time"

	"github.com/voiced/voiced/media"
)

// Ring geometry. The ring keeps about 16 s of the caller's audio: the
// pre-roll of every utterance, and the utterance itself for replaying it
// into a fresh recognition when the caller resumes after a speculative
// transcript. ringSlack is kept clear of the writer, so that the loop
// never reads samples the media clock is overwriting.
const (
	ringSize  = 1 << 18
	ringMask  = ringSize - 1
	ringSlack = media.PipelineRate // 1 s
	// ringKeep is how far back the loop may read.
	ringKeep = ringSize - ringSlack
)

// audioRing is a single-producer, single-consumer ring of the caller's
// audio. The media clock writes and signals; the event loop reads by
// absolute position (samples since the call's audio began).
type audioRing struct {
	buf []int16
	// written counts the samples ever written. The writer stores it after
	// copying, so a reader that loads it sees the samples before it.
	written atomic.Int64
	// ready holds one signal: audio arrived since the loop last looked.
	ready chan struct{}
}

func newAudioRing() *audioRing {
	return &audioRing{buf: make([]int16, ringSize), ready: make(chan struct{}, 1)}
}

// write copies pcm in and signals the reader. It neither blocks nor
// allocates.
func (r *audioRing) write(pcm []int16) {
	if len(pcm) > ringSlack {
		pcm = pcm[len(pcm)-ringSlack:]
	}
	w := r.written.Load()
	n := copy(r.buf[w&ringMask:], pcm)
	copy(r.buf, pcm[n:])
	r.written.Store(w + int64(len(pcm)))
	select {
	case r.ready <- struct{}{}:
	default:
	}
}

// oldest is the first position still readable.
func (r *audioRing) oldest() int64 {
	return max(0, r.written.Load()-ringKeep)
}

// read copies the samples at [from, from+len(dst)) into dst; false when
// they are not all written yet or no longer kept.
func (r *audioRing) read(dst []int16, from int64) bool {
	w := r.written.Load()
	if from < w-ringKeep || from+int64(len(dst)) > w {
		return false
	}
	i := from & ringMask
	n := copy(dst, r.buf[i:])
	copy(dst[n:], r.buf)
	return true
}

// samplesOf converts a stream offset to a sample count.
func samplesOf(d time.Duration) int64 {
	return int64(d) * media.PipelineRate / int64(time.Second)
}

// durationOf converts a sample count to a duration.
func durationOf(samples int64) time.Duration {
	return time.Duration(samples) * time.Second / media.PipelineRate
}
