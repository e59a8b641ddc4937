package tts

import (
	"context"
	"io"
	"slices"
)

// pcmStream serves samples already in memory.
type pcmStream struct {
	rate   int
	pcm    []int16
	closed bool
}

// NewPCMStream returns a Stream of pcm at rate. The stream reads pcm
// without copying it first, so callers must not modify it afterwards;
// many streams may share one slice.
func NewPCMStream(rate int, pcm []int16) Stream {
	return &pcmStream{rate: rate, pcm: pcm}
}

func (s *pcmStream) SampleRate() int { return s.rate }

func (s *pcmStream) Read(pcm []int16) (int, error) {
	if s.closed {
		return 0, ErrStreamClosed
	}
	if len(s.pcm) == 0 {
		return 0, io.EOF
	}
	n := copy(pcm, s.pcm)
	s.pcm = s.pcm[n:]
	return n, nil
}

func (s *pcmStream) Close() error {
	s.closed = true
	s.pcm = nil
	return nil
}

// readChunk is how many samples ReadAll asks for at a time: 100 ms at
// 24 kHz, the rate of the larger backends.
const readChunk = 2400

// ReadAll reads s to the end and returns its samples and sample rate. It
// stops early with ctx's error when ctx ends between reads; a Read that
// blocks is ended by the context given to Synthesize. It does not close s.
func ReadAll(ctx context.Context, s Stream) ([]int16, int, error) {
	var out []int16
	for {
		if err := ctx.Err(); err != nil {
			return out, s.SampleRate(), err
		}
		out = slices.Grow(out, readChunk)
		n, err := s.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			return out, s.SampleRate(), nil
		}
		if err != nil {
			return out, s.SampleRate(), err
		}
	}
}
