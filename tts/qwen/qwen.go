// Package qwen speaks with Qwen3-TTS served over HTTP: vLLM-Omni's
// POST /v1/audio/speech (protocols.md 2a), which streams raw PCM, SSE
// events of base64 PCM, or WAV, or the same endpoint of mlx-audio's
// server (2c); and vLLM-Omni's WebSocket /v1/audio/speech/stream (2b),
// which takes the text in pieces.
//
// Audio is handed on as it arrives. A reply that breaks off makes Read
// fail after the audio that came, never end as if complete; a request
// that fails before any audio came is sent once more if the server was
// unreachable or failed on its side.
package qwen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"time"

	"github.com/voiced/voiced/tts"
)

const (
	// maxAttempts is how often a request is sent before audio arrives.
	maxAttempts = 2
	// retryPause is the wait before the second attempt.
	retryPause = 100 * time.Millisecond
	// maxErrorBody bounds the error body read from a failed request.
	maxErrorBody = 64 << 10
)

// client holds what the REST and WebSocket synthesizers share.
type client struct {
	cfg      Config
	langs    languages
	language string // the default language, as sent
}

func newClient(cfg Config) (*client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &client{cfg: cfg, langs: newLanguages(cfg.Languages)}
	if c.language, err = c.langs.name(cfg.Language); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	return c, nil
}

// Synthesizer speaks through POST /v1/audio/speech. It is safe for
// concurrent use.
type Synthesizer struct {
	c        *client
	endpoint string
	pause    time.Duration
}

var _ tts.Synthesizer = (*Synthesizer)(nil)

// New checks cfg and returns a Synthesizer. It does not contact the
// server.
func New(cfg Config) (*Synthesizer, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	return &Synthesizer{c: c, endpoint: c.cfg.URL + "/v1/audio/speech", pause: retryPause}, nil
}

// Synthesize sends req and returns once its first audio has arrived, so
// that the Stream's rate is known (a WAV reply's header says it). A
// refused connection, a 429 or 5xx answer, or a reply that broke off
// before any audio is sent once more; 401 and 403 (ErrUnauthorized),
// other answers and timeouts are not. Server-side failures are
// *UpstreamError, with the server's message.
func (s *Synthesizer) Synthesize(ctx context.Context, req tts.Request) (tts.Stream, error) {
	sp, err := s.c.prepare(req, true)
	if err != nil {
		return nil, err
	}
	payload, err := s.c.restBody(sp)
	if err != nil {
		return nil, fmt.Errorf("qwen: encode request: %w", err)
	}

	sctx, stop := context.WithTimeoutCause(ctx, s.c.cfg.Timeout, ErrTimeout)
	for attempt := 1; ; attempt++ {
		st, err := s.attempt(sctx, payload)
		if err == nil {
			st.stop = stop
			return st, nil
		}
		if attempt >= maxAttempts || !retryable(err) || sctx.Err() != nil {
			stop()
			return nil, err
		}
		if err := sleep(sctx, s.pause); err != nil {
			stop()
			return nil, s.c.explain(sctx, err)
		}
	}
}

// attempt sends the request once and waits for the first audio, for at
// most FirstByteTimeout.
func (s *Synthesizer) attempt(ctx context.Context, payload []byte) (*stream, error) {
	actx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(s.c.cfg.FirstByteTimeout, func() { cancel(ErrFirstByteTimeout) })
	st, err := s.open(actx, payload)
	if !timer.Stop() && err == nil {
		// The timer fired as the first audio came: the attempt is
		// cancelled all the same.
		err = ErrFirstByteTimeout
		st.body.Close()
	}
	if err != nil {
		err = s.c.explain(actx, err)
		cancel(err)
		return nil, err
	}
	st.ctx, st.cancel = actx, cancel
	return st, nil
}

// open posts the request, checks the answer and reads the first audio.
func (s *Synthesizer) open(ctx context.Context, payload []byte) (*stream, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint,
		bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("qwen: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "audio/pcm, text/event-stream, audio/wav")
	if s.c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+s.c.cfg.APIKey)
	}

	resp, err := s.c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("qwen: post %s: %w", s.endpoint, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, parseUpstreamError(resp.StatusCode, body)
	}
	st, err := s.c.newStream(resp)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if err := st.prime(); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return st, nil
}

// retryable reports whether a failed attempt may succeed if repeated.
func retryable(err error) bool {
	if ue, ok := errors.AsType[*UpstreamError](err); ok {
		return ue.Retryable()
	}
	// A connection closed before the answer, or a reply that broke off
	// before its first audio, delivered nothing that a second try could
	// repeat.
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, ErrInterrupted)
}

// explain replaces err by what ended ctx, when something did: the
// caller's cancellation, Close, or one of this package's timeouts.
func (c *client) explain(ctx context.Context, err error) error {
	cause := context.Cause(ctx)
	switch {
	case cause == nil:
		return err
	case errors.Is(cause, tts.ErrStreamClosed):
		return tts.ErrStreamClosed
	case errors.Is(cause, ErrFirstByteTimeout):
		return fmt.Errorf("%w (%v)", ErrFirstByteTimeout, c.cfg.FirstByteTimeout)
	case errors.Is(cause, ErrTimeout):
		return fmt.Errorf("%w (%v): %w", ErrTimeout, c.cfg.Timeout, context.DeadlineExceeded)
	case errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded):
		return fmt.Errorf("qwen: synthesis ended: %w", cause)
	}
	return cause
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
