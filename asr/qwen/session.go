package qwen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/asr/internal/wire"
)

// maxAppend is the most audio one append event carries (1 s); more pending
// audio goes out in several events.
const maxAppend = asr.SampleRate

// session is one utterance. A writer goroutine sends the audio Write keeps,
// a reader goroutine takes in the server's events; the first outcome (the
// transcript, or a failure) ends the stream. All audio is kept, so that a
// failed stream can be sent again over REST.
type session struct {
	r    *Recognizer
	opts asr.Options
	conn *websocket.Conn // nil when the socket could not be set up
	// connErr is why conn is nil.
	connErr error

	ctx    context.Context // ends when the session is closed
	cancel context.CancelFunc
	wake   chan struct{} // tells the writer there is audio or a finish
	ended  chan struct{} // closed once outcome is set
	wg     sync.WaitGroup

	mu       sync.Mutex // guards the fields below
	audio    []int16    // the whole utterance
	finished bool
	closed   bool
	outcome  outcome // valid once ended is closed
}

// outcome is how the stream ended: a transcript, or the failure.
type outcome struct {
	text, lang string
	err        error
}

func newSession(r *Recognizer, opts asr.Options, conn *websocket.Conn, connErr error) *session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{r: r, opts: opts, conn: conn, connErr: connErr, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), ended: make(chan struct{})}
	if conn != nil {
		s.wg.Add(2)
		go s.writeLoop()
		go s.readLoop()
	}
	return s
}

// Write keeps the audio and wakes the writer; it never waits for the
// network.
func (s *session) Write(pcm []int16) error {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return asr.ErrClosed
	case s.finished:
		s.mu.Unlock()
		return asr.ErrFinished
	case len(s.audio)+len(pcm) > s.r.maxAudio:
		s.mu.Unlock()
		return fmt.Errorf("%w: over %s", asr.ErrAudioTooLong, s.r.cfg.MaxAudio)
	}
	s.audio = append(s.audio, pcm...)
	s.mu.Unlock()
	s.signal()
	return nil
}

// signal wakes the writer without waiting.
func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Finish sends the final commit and waits, at most Config.Timeout, for the
// transcript. When the stream failed, the whole utterance goes to the REST
// fallback once.
func (s *session) Finish(ctx context.Context) (asr.Result, error) {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return asr.Result{}, asr.ErrClosed
	case s.finished:
		s.mu.Unlock()
		return asr.Result{}, asr.ErrFinished
	}
	s.finished = true
	s.mu.Unlock()

	if s.conn == nil {
		return s.fallback(ctx, s.connErr)
	}
	s.signal()
	o, err := s.wait(ctx)
	if err != nil {
		s.Close()
		return asr.Result{}, err
	}
	if o.err == nil {
		return asr.Result{Text: o.text, Language: o.lang, Audio: s.duration(),
			Backend: BackendRealtime}, nil
	}
	s.stop()
	return s.fallback(ctx, o.err)
}

// wait returns the stream's outcome, or a timeout failure.
func (s *session) wait(ctx context.Context) (outcome, error) {
	timer := time.NewTimer(s.r.cfg.Timeout)
	defer timer.Stop()
	select {
	case <-s.ended:
	case <-timer.C:
		s.end(outcome{err: &asr.UpstreamError{Backend: BackendRealtime, Err: asr.ErrTimeout,
			Message: fmt.Sprintf("no transcript within %s of the final commit", s.r.cfg.Timeout)}})
	case <-ctx.Done():
		return outcome{}, fmt.Errorf("finish asr: %w", ctx.Err())
	case <-s.ctx.Done():
		return outcome{}, fmt.Errorf("finish asr: %w", asr.ErrClosed)
	}
	return s.outcome, nil
}

// fallback sends the whole utterance over REST, or returns cause when the
// fallback is off.
func (s *session) fallback(ctx context.Context, cause error) (asr.Result, error) {
	if s.r.rest == nil {
		return asr.Result{}, fmt.Errorf("finish asr: %w", cause)
	}
	s.r.log.Warn("asr realtime failed, falling back to rest", "err", cause)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)()
	res, err := s.r.rest.Transcribe(ctx, s.audio, s.opts)
	switch {
	case err == nil:
		return res, nil
	case s.ctx.Err() != nil:
		return asr.Result{}, fmt.Errorf("finish asr: %w", asr.ErrClosed)
	}
	return asr.Result{}, fmt.Errorf("asr rest fallback: %w (realtime: %w)", err, cause)
}

// end records the stream's first outcome; later ones are dropped.
func (s *session) end(o outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.ended:
	default:
		s.outcome = o
		close(s.ended)
	}
}

// fail ends the stream with err and drops the connection.
func (s *session) fail(err error) {
	s.end(outcome{err: err})
	s.conn.CloseNow()
}

// stop drops the connection and waits for the goroutines.
func (s *session) stop() {
	if s.conn != nil {
		s.conn.CloseNow()
	}
	s.wg.Wait()
}

// Close abandons the session: it drops the connection, interrupts a Finish
// in progress, and waits for the session's goroutines.
func (s *session) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.stop()
	return nil
}

// duration is how long the utterance is.
func (s *session) duration() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(len(s.audio)) * time.Second / asr.SampleRate
}

// writeLoop sends the audio as it comes, then the final commit.
func (s *session) writeLoop() {
	defer s.wg.Done()
	var buf []byte
	sent := 0
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.ended:
			return
		case <-s.wake:
		}

		pending, final := s.pending(sent)
		for len(pending) > 0 {
			n := min(len(pending), maxAppend)
			buf = appendEvent(buf, pending[:n])
			if err := s.conn.Write(s.ctx, websocket.MessageText, buf); err != nil {
				s.fail(s.streamError(err))
				return
			}
			sent, pending = sent+n, pending[n:]
		}
		if final {
			if err := s.conn.Write(s.ctx, websocket.MessageText, commitFinal); err != nil {
				s.fail(s.streamError(err))
			}
			return
		}
	}
}

// pending returns the audio not sent yet and whether Finish was called.
// Write only appends, so the returned samples stay as they are.
func (s *session) pending(sent int) ([]int16, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.audio[sent:], s.finished
}

// readLoop takes in server events until the transcript or a failure.
func (s *session) readLoop() {
	defer s.wg.Done()
	var text wire.Stream
	for {
		typ, data, err := s.conn.Read(s.ctx)
		if err != nil {
			s.fail(s.streamError(err))
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		ev, err := parseEvent(data)
		if err != nil {
			s.fail(err)
			return
		}

		switch ev.Type {
		case typeDelta:
			if partial, changed := text.Add(ev.Delta); changed && s.opts.OnPartial != nil {
				s.opts.OnPartial(partial)
			}
		case typeDone:
			s.end(done(ev, &text))
			s.conn.Close(websocket.StatusNormalClosure, "")
			return
		case typeError:
			s.fail(ev.upstreamError())
			return
		}
	}
}

// done reads the transcript of a transcription.done event: its text, or
// the deltas' when it has none (or only a prefix) and the deltas have some.
func done(ev event, deltas *wire.Stream) outcome {
	text, lang := deltas.Result()
	if ev.Text == nil {
		return outcome{text: text, lang: lang}
	}
	final, finalLang := wire.Clean(*ev.Text)
	if final != "" || text == "" {
		text = final
	}
	if finalLang != "" {
		lang = finalLang
	}
	return outcome{text: text, lang: lang}
}

// streamError describes a failure of the open socket.
func (s *session) streamError(err error) error {
	if s.ctx.Err() != nil {
		return fmt.Errorf("asr session: %w", asr.ErrClosed)
	}
	if errors.Is(err, websocket.ErrMessageTooBig) {
		return &asr.UpstreamError{Backend: BackendRealtime, Message: err.Error(),
			Err: fmt.Errorf("%w: %w", asr.ErrBadResponse, err)}
	}
	return &asr.UpstreamError{Backend: BackendRealtime, Message: err.Error(),
		Err: fmt.Errorf("%w: %w", asr.ErrDisconnected, err)}
}
