package qwen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/voiced/voiced/tts"
)

// closeWait bounds the session.close sent by Close.
const closeWait = 500 * time.Millisecond

// textStream is one utterance over a WebSocket. Read runs on one
// goroutine; WriteText and CloseText on another; Close on any.
type textStream struct {
	c    *client
	conn *websocket.Conn
	ctx  context.Context // bounds reads and writes: the caller's, with Timeout
	stop context.CancelFunc

	dec decoder // reads from a wsAudio
	err error   // what Read returns once dec is spent

	wmu        sync.Mutex // guards textClosed
	textClosed bool

	closed atomic.Bool
	once   sync.Once
}

func newTextStream(ctx context.Context, stop context.CancelFunc, c *client,
	conn *websocket.Conn,
) *textStream {
	t := &textStream{c: c, conn: conn, ctx: ctx, stop: stop}
	audio := &wsAudio{conn: conn, ctx: ctx, rate: c.cfg.SampleRate}
	t.dec.src = &limitReader{r: audio, left: c.cfg.MaxReplyBytes, limit: c.cfg.MaxReplyBytes}
	return t
}

// SampleRate returns Config.SampleRate, the rate the protocol promises.
func (t *textStream) SampleRate() int { return t.c.cfg.SampleRate }

// WriteText sends text as an input.text message.
func (t *textStream) WriteText(text string) error {
	if t.closed.Load() {
		return tts.ErrStreamClosed
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	switch {
	case t.textClosed:
		return tts.ErrTextClosed
	case text == "":
		return nil
	case len(text) > t.c.cfg.MaxTextBytes:
		return fmt.Errorf("qwen: %d bytes of text, at most %d: %w", len(text),
			t.c.cfg.MaxTextBytes, tts.ErrTextTooLong)
	}
	return t.send(map[string]any{"type": "input.text", "text": tts.SanitizeText(text)})
}

// CloseText sends input.done, which makes the server speak what it holds
// and end the utterance with session.done.
func (t *textStream) CloseText() error {
	if t.closed.Load() {
		return tts.ErrStreamClosed
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.textClosed {
		return nil
	}
	t.textClosed = true
	return t.send(map[string]string{"type": "input.done"})
}

// send writes one JSON message.
func (t *textStream) send(msg any) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("qwen: encode message: %w", err)
	}
	if err := t.conn.Write(t.ctx, websocket.MessageText, data); err != nil {
		return t.classify(fmt.Errorf("qwen: send: %w", err))
	}
	return nil
}

// Read returns the PCM of the binary frames as it arrives, and io.EOF at
// session.done.
func (t *textStream) Read(pcm []int16) (int, error) {
	if t.closed.Load() {
		return 0, tts.ErrStreamClosed
	}
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.dec.read(pcm)
	if err != nil {
		t.err = t.classify(err)
	}
	if n > 0 || err == nil {
		return n, nil
	}
	t.release()
	return 0, t.err
}

// Close ends the session: session.close if the connection still works,
// then the connection itself. A Read blocked on another goroutine
// returns tts.ErrStreamClosed.
func (t *textStream) Close() error {
	t.closed.Store(true)
	t.release()
	return nil
}

func (t *textStream) release() {
	t.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeWait)
		defer cancel()
		_ = t.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"session.close"}`))
		_ = t.conn.CloseNow()
		t.stop()
	})
}

// classify says why reading or writing failed. Only wsAudio's own io.EOF,
// at session.done, is the end.
func (t *textStream) classify(err error) error {
	switch {
	case err == io.EOF:
		return io.EOF
	case t.closed.Load():
		return tts.ErrStreamClosed
	case context.Cause(t.ctx) != nil:
		return t.c.explain(t.ctx, err)
	}
	return interrupted(err)
}

// reason looks for the server's own account of a write that failed
// before anyone read the stream: a server that rejects the
// session.config sends an error message and closes, and the writes after
// it fail with a broken pipe that says nothing.
func (t *textStream) reason(err error) error {
	if !errors.Is(err, ErrInterrupted) {
		return err
	}
	ctx, cancel := context.WithTimeout(t.ctx, closeWait)
	defer cancel()
	a := &wsAudio{conn: t.conn, ctx: ctx, rate: t.c.cfg.SampleRate}
	buf := make([]byte, 4096)
	for {
		_, rerr := a.Read(buf)
		if ue, ok := errors.AsType[*UpstreamError](rerr); ok {
			return ue
		}
		if rerr != nil {
			return err
		}
	}
}

// lost describes a connection that failed before session.done. The
// websocket library's errors may wrap io.EOF, which must not pass for
// the end of the speech.
func lost(err error) error {
	if status := websocket.CloseStatus(err); status != -1 {
		return fmt.Errorf("%w: server closed the connection (%v) before session.done",
			ErrInterrupted, status)
	}
	return fmt.Errorf("%w: %v", ErrInterrupted, err)
}

// wsAudio reads the server's messages and yields the PCM bytes of its
// binary frames (or of audio.chunk events, which carry them as base64
// when word timestamps are on). It ends with io.EOF at session.done.
type wsAudio struct {
	conn  *websocket.Conn
	ctx   context.Context
	rate  int
	frame io.Reader // the binary message being read
	chunk []byte    // base64-decoded audio not yet returned
}

// Read returns audio bytes, reading messages until some come.
func (a *wsAudio) Read(p []byte) (int, error) {
	for {
		if len(a.chunk) > 0 {
			n := copy(p, a.chunk)
			a.chunk = a.chunk[n:]
			return n, nil
		}
		if a.frame != nil {
			n, err := a.frame.Read(p)
			switch {
			case err == io.EOF: // the end of the message, exactly
				a.frame, err = nil, nil
			case err != nil:
				err = lost(err)
			}
			if n > 0 || err != nil {
				return n, err
			}
			continue
		}
		typ, r, err := a.conn.Reader(a.ctx)
		if err != nil {
			return 0, lost(err)
		}
		if typ == websocket.MessageBinary {
			a.frame = r
			continue
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return 0, lost(err)
		}
		if err := a.event(data); err != nil {
			return 0, err
		}
	}
}

// wsEvent is a JSON message of the server.
type wsEvent struct {
	Type       string `json:"type"`
	Format     string `json:"format"`
	SampleRate int    `json:"sample_rate"`
	Channels   int    `json:"channels"`
	AudioB64   string `json:"audio_b64"`
	Message    string `json:"message"`
}

// event handles a JSON message: audio.start must describe the PCM this
// stream expects, session.done ends it, error fails it; audio.done and
// unknown types change nothing.
func (a *wsAudio) event(data []byte) error {
	var ev wsEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return fmt.Errorf("%w: message %q: %w", ErrBadResponse, snippet(data), err)
	}
	switch ev.Type {
	case "audio.start":
		switch {
		case ev.Format != "" && ev.Format != "pcm":
			return fmt.Errorf("%w: audio.start of format %q, want pcm", ErrBadResponse, ev.Format)
		case ev.SampleRate != 0 && ev.SampleRate != a.rate:
			return fmt.Errorf("%w: audio.start at %d Hz, want %d", ErrBadResponse,
				ev.SampleRate, a.rate)
		case ev.Channels > 1:
			return fmt.Errorf("%w: audio.start with %d channels, want 1", ErrBadResponse,
				ev.Channels)
		}
	case "audio.chunk":
		audio, err := decodeBase64(ev.AudioB64)
		if err != nil {
			return fmt.Errorf("%w: audio of audio.chunk: %w", ErrBadResponse, err)
		}
		a.chunk = audio
	case "session.done":
		return io.EOF
	case "error":
		return &UpstreamError{Message: ev.Message}
	}
	return nil
}
