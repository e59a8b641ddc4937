package qwen

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/voiced/voiced/tts"
)

const (
	// maxReadBytes bounds the bytes one Read asks of the reply.
	maxReadBytes = 32 << 10
	// firstSamples is how many samples Synthesize waits for at most: any
	// number above zero will do, and it returns with what came.
	firstSamples = 4800
)

// stream is the audio of one reply, decoded as it arrives. Read runs on
// one goroutine; Close may come from another, for barge-in.
type stream struct {
	c       *client
	rate    int
	dec     decoder
	pending []int16 // the first samples, read before Synthesize returned
	err     error   // what Read returns once pending and dec are spent

	ctx    context.Context         // the request's, ended by Close
	cancel context.CancelCauseFunc // ends ctx
	stop   context.CancelFunc      // releases the synthesis timeout
	body   io.Closer
	closed atomic.Bool
	once   sync.Once
}

// newStream picks the decoder for the reply's Content-Type (protocols.md
// 2a): audio/pcm is raw s16le, text/event-stream carries base64 PCM in
// events. A body that starts with a RIFF header is WAV whatever the
// Content-Type says, and one that does not is raw PCM even if it says
// audio/wav, as mlx-audio's does.
func (c *client) newStream(resp *http.Response) (*stream, error) {
	ct := resp.Header.Get("Content-Type")
	media, params, _ := mime.ParseMediaType(ct)
	body := &limitReader{r: resp.Body, left: c.cfg.MaxReplyBytes, limit: c.cfg.MaxReplyBytes}
	st := &stream{c: c, rate: c.cfg.SampleRate, body: resp.Body}

	switch media {
	case "text/event-stream":
		st.dec.src = newSSEReader(body, c.cfg.MaxReplyBytes)
		return st, nil
	case "audio/pcm", "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave",
		"application/octet-stream", "":
	case "application/json":
		data, _ := io.ReadAll(io.LimitReader(body, maxErrorBody))
		return nil, fmt.Errorf("%w: json instead of audio: %s", ErrBadResponse,
			parseUpstreamError(resp.StatusCode, data).Message)
	default:
		return nil, fmt.Errorf("%w: content type %q, want audio/pcm, text/event-stream or WAV",
			ErrBadResponse, ct)
	}

	if r, err := strconv.Atoi(params["rate"]); err == nil && r > 0 {
		st.rate = r
	}
	br := bufio.NewReaderSize(body, 4096)
	if head, err := br.Peek(4); err != nil && err != io.EOF {
		return nil, interrupted(err)
	} else if string(head) != "RIFF" {
		st.dec.src = br
		return st, nil
	}
	wav := &wavReader{r: br}
	if err := wav.next(); err != nil {
		return nil, interrupted(wav.failure(err))
	}
	st.rate = wav.rate
	st.dec.src = wav
	return st, nil
}

// prime reads the first samples, waiting until at least one came; it
// returns the error that came instead, unless that is the end: an empty
// reply is an empty stream.
func (s *stream) prime() error {
	buf := make([]int16, firstSamples)
	n, err := s.dec.read(buf)
	s.pending = buf[:n]
	if err != nil && err != io.EOF && n == 0 {
		return s.classify(err)
	}
	if err != nil {
		s.err = s.classify(err)
	}
	return nil
}

// SampleRate returns the rate of the reply's audio.
func (s *stream) SampleRate() int { return s.rate }

// Read returns the samples that have arrived, waiting for some when none
// have. After the last it returns io.EOF, or the error that ended the
// reply (ErrInterrupted, *UpstreamError, ErrBadResponse, ...).
func (s *stream) Read(pcm []int16) (int, error) {
	if s.closed.Load() {
		return 0, tts.ErrStreamClosed
	}
	if len(s.pending) > 0 {
		n := copy(pcm, s.pending)
		s.pending = s.pending[n:]
		return n, nil
	}
	if s.err != nil {
		s.release()
		return 0, s.err
	}

	n, err := s.dec.read(pcm)
	if err != nil {
		s.err = s.classify(err)
	}
	if n > 0 || err == nil {
		return n, nil
	}
	s.release()
	return 0, s.err
}

// Close stops the synthesis: a Read blocked on another goroutine returns
// tts.ErrStreamClosed.
func (s *stream) Close() error {
	s.closed.Store(true)
	s.release()
	return nil
}

// release cancels the request, if it still runs, and frees its
// resources. The cause is tts.ErrStreamClosed: a Read still waiting says
// so.
func (s *stream) release() {
	s.once.Do(func() {
		if s.cancel != nil {
			s.cancel(tts.ErrStreamClosed)
		}
		if s.stop != nil {
			s.stop()
		}
		s.body.Close()
	})
}

// classify turns a read error into what Read returns: io.EOF stays, the
// end of the request's context says why it ended, and errors of the
// transport mean the reply broke off. Only io.EOF itself is the end, as
// the readers beneath return it; an error that wraps it is a failure.
func (s *stream) classify(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	if s.ctx != nil && context.Cause(s.ctx) != nil {
		return s.c.explain(s.ctx, err)
	}
	return interrupted(err)
}

// interrupted wraps transport errors in ErrInterrupted and leaves the
// errors this package made alone.
func interrupted(err error) error {
	if _, ok := errors.AsType[*UpstreamError](err); ok {
		return err
	}
	if errors.Is(err, ErrInterrupted) || errors.Is(err, ErrBadResponse) ||
		errors.Is(err, ErrReplyTooLarge) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrInterrupted, err)
}

// decoder turns a byte stream of s16le PCM into samples. A sample split
// between two reads, as chunks of any length split them, is kept until
// its second byte comes.
type decoder struct {
	src    io.Reader
	buf    []byte
	odd    byte
	hasOdd bool
}

// read fills pcm with the samples of one read of src, reading again
// while that gave only half a sample. It returns src's error with the
// samples before it; a half sample at the end of src is dropped.
func (d *decoder) read(pcm []int16) (int, error) {
	if len(pcm) == 0 {
		return 0, nil
	}
	want := min(2*len(pcm), maxReadBytes)
	if len(d.buf) < want {
		d.buf = make([]byte, maxReadBytes)
	}
	for {
		start := 0
		if d.hasOdd {
			d.buf[0], start, d.hasOdd = d.odd, 1, false
		}
		n, err := d.src.Read(d.buf[start:want])
		n += start
		samples := n / 2
		for i := range samples {
			pcm[i] = int16(binary.LittleEndian.Uint16(d.buf[2*i:]))
		}
		if n%2 == 1 {
			d.odd, d.hasOdd = d.buf[n-1], true
		}
		if samples > 0 || err != nil {
			return samples, err
		}
	}
}

// limitReader fails with ErrReplyTooLarge once more than limit bytes
// came.
type limitReader struct {
	r     io.Reader
	left  int64
	limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a reply of exactly the limit from a longer
		// one.
		var one [1]byte
		if n, err := l.r.Read(one[:]); n == 0 {
			return 0, err
		}
		return 0, fmt.Errorf("%w: over %d bytes", ErrReplyTooLarge, l.limit)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
