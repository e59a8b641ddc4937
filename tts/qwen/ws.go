package qwen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/voiced/voiced/tts"
)

// maxMessageBytes bounds one WebSocket message from the server; a binary
// frame carries at most a sentence of PCM.
const maxMessageBytes = 16 << 20

// WSSynthesizer speaks through vLLM-Omni's WebSocket
// /v1/audio/speech/stream (protocols.md 2b), which takes the text of an
// utterance in pieces and answers each sentence with PCM as binary
// frames. It implements tts.TextStreamer for text still being written
// and tts.Synthesizer for a whole text. It is safe for concurrent use;
// each stream is its own connection.
type WSSynthesizer struct {
	c        *client
	endpoint string
	pause    time.Duration
}

var (
	_ tts.Synthesizer  = (*WSSynthesizer)(nil)
	_ tts.TextStreamer = (*WSSynthesizer)(nil)
)

// NewWS checks cfg and returns a WSSynthesizer. It does not contact the
// server. Only vLLM-Omni has the WebSocket: a config for mlx-audio is
// ErrBadConfig.
func NewWS(cfg Config) (*WSSynthesizer, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	if c.cfg.Server != VLLMOmni {
		return nil, fmt.Errorf("%w: %s has no websocket speech endpoint", ErrBadConfig,
			c.cfg.Server)
	}
	endpoint := c.cfg.URL + "/v1/audio/speech/stream"
	if rest, ok := strings.CutPrefix(endpoint, "http"); ok {
		endpoint = "ws" + rest // http: to ws:, https: to wss:
	}
	return &WSSynthesizer{c: c, endpoint: endpoint, pause: retryPause}, nil
}

// Synthesize speaks the whole of req.Text over a new connection: it
// writes the text and closes it at once.
func (s *WSSynthesizer) Synthesize(ctx context.Context, req tts.Request) (tts.Stream, error) {
	sp, err := s.c.prepare(req, true)
	if err != nil {
		return nil, err
	}
	return s.start(ctx, sp, true)
}

// StartTextStream connects, configures the session with req's voice and
// language, and writes req.Text when it is not blank. The stream's rate
// is Config.SampleRate (24 kHz); an audio.start announcing another makes
// Read fail with ErrBadResponse. A refused connection or a 429 or 5xx
// answer to the handshake is tried once more; FirstByteTimeout bounds
// each handshake.
func (s *WSSynthesizer) StartTextStream(ctx context.Context,
	req tts.Request,
) (tts.TextStream, error) {
	sp, err := s.c.prepare(req, false)
	if err != nil {
		return nil, err
	}
	ts, err := s.start(ctx, sp, false)
	if err != nil {
		return nil, err // not a nil *textStream in a non-nil interface
	}
	return ts, nil
}

// start connects and sends the session.config, then the text if any, and
// input.done when closeText is set.
func (s *WSSynthesizer) start(ctx context.Context, sp speech,
	closeText bool,
) (*textStream, error) {
	sctx, stop := context.WithTimeoutCause(ctx, s.c.cfg.Timeout, ErrTimeout)
	conn, err := s.dial(sctx)
	if err != nil {
		stop()
		return nil, err
	}
	conn.SetReadLimit(min(s.c.cfg.MaxReplyBytes, maxMessageBytes))
	t := newTextStream(sctx, stop, s.c, conn)

	err = t.send(s.c.sessionConfig(sp))
	if err == nil && sp.text != "" {
		err = t.WriteText(sp.text)
	}
	if err == nil && closeText {
		err = t.CloseText()
	}
	if err != nil {
		err = t.reason(err)
		t.Close()
		return nil, err
	}
	return t, nil
}

// dial opens the WebSocket, trying twice when the server is unreachable
// or failed on its side.
func (s *WSSynthesizer) dial(ctx context.Context) (*websocket.Conn, error) {
	header := http.Header{}
	if s.c.cfg.APIKey != "" {
		header.Set("Authorization", "Bearer "+s.c.cfg.APIKey)
	}
	opts := &websocket.DialOptions{HTTPClient: s.c.cfg.HTTPClient, HTTPHeader: header}
	for attempt := 1; ; attempt++ {
		dctx, cancel := context.WithTimeoutCause(ctx, s.c.cfg.FirstByteTimeout,
			ErrFirstByteTimeout)
		conn, resp, err := websocket.Dial(dctx, s.endpoint, opts)
		if err == nil {
			cancel()
			return conn, nil
		}
		err = s.c.explain(dctx, handshakeError(s.endpoint, resp, err))
		cancel()
		if attempt >= maxAttempts || !retryable(err) || ctx.Err() != nil {
			return nil, err
		}
		if err := sleep(ctx, s.pause); err != nil {
			return nil, s.c.explain(ctx, err)
		}
	}
}

// handshakeError keeps the server's answer when it refused the upgrade.
func handshakeError(endpoint string, resp *http.Response, err error) error {
	if resp == nil || resp.StatusCode == http.StatusSwitchingProtocols {
		return fmt.Errorf("qwen: dial %s: %w", endpoint, err)
	}
	// The websocket library keeps the first KiB of the body.
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(resp.Body)
	}
	return parseUpstreamError(resp.StatusCode, body)
}

// sessionConfig is the first message of a session: any field of the REST
// request (protocols.md 2b), PCM, and audio streamed as it is made.
func (c *client) sessionConfig(sp speech) map[string]any {
	msg := map[string]any{
		"type":            "session.config",
		"voice":           sp.voice,
		"language":        sp.language,
		"response_format": "pcm",
		"stream_audio":    true,
	}
	if c.cfg.Model != "" {
		msg["model"] = c.cfg.Model
	}
	if c.cfg.Instructions != "" {
		msg["instructions"] = c.cfg.Instructions
	}
	if c.cfg.TextSplit != "" {
		msg["split_granularity"] = c.cfg.TextSplit
	}
	return msg
}
