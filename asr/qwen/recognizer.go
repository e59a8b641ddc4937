package qwen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/asr/internal/wire"
	"github.com/voiced/voiced/asr/openai"
)

// Names that Result.Backend reports.
const (
	// BackendRealtime is the realtime WebSocket (protocols.md 1b).
	BackendRealtime = "qwen-realtime"
	// BackendREST is the REST fallback (protocols.md 1a).
	BackendREST = "qwen-rest"
)

// Defaults of Config.
const (
	// DefaultModel is the model named in session.update.
	DefaultModel = "Qwen/Qwen3-ASR-1.7B"
	// DefaultConnectTimeout bounds connecting and the server's
	// session.created.
	DefaultConnectTimeout = 3 * time.Second
	// DefaultTimeout bounds the wait for the transcript after the final
	// commit, and each attempt of the REST fallback.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxAudio is the longest utterance a session keeps; the REST
	// fallback needs all of it.
	DefaultMaxAudio = openai.DefaultMaxAudio
	// DefaultMaxReply bounds the size of one server message.
	DefaultMaxReply = 1 << 20
)

// Config configures a Recognizer. Every field but URL has a usable zero
// value.
type Config struct {
	// URL is the vLLM server's base URL ("http://gpu:8000"); https gives
	// wss, and a trailing /v1 or endpoint path is accepted too.
	URL string
	// Model is the model named in session.update and the REST form;
	// DefaultModel when empty.
	Model string
	// APIKey, when set, is sent as a bearer token on the handshake and the
	// REST fallback.
	APIKey string
	// Language is used when Options.Language is empty; empty lets the model
	// detect the language.
	Language string
	// ConnectTimeout bounds the connection up to session.created;
	// DefaultConnectTimeout when zero.
	ConnectTimeout time.Duration
	// Timeout bounds the wait for the transcript after the final commit
	// and each REST attempt; DefaultTimeout when zero.
	Timeout time.Duration
	// NoFallback turns the REST fallback off: realtime failures are then
	// returned by Start and Finish.
	NoFallback bool
	// MaxAudio bounds an utterance; DefaultMaxAudio when zero.
	MaxAudio time.Duration
	// MaxReply bounds one server message; DefaultMaxReply when zero.
	MaxReply int64
	// HTTPClient makes the handshake and the REST requests; a client of its
	// own when nil.
	HTTPClient *http.Client
	// Logger receives a warning when a session falls back to REST;
	// nothing is logged when nil.
	Logger *slog.Logger
}

// Recognizer transcribes utterances with Qwen3-ASR over vLLM's realtime
// WebSocket, one socket per utterance, falling back to REST. It implements
// asr.Recognizer and is safe for concurrent use.
type Recognizer struct {
	cfg      Config
	wsURL    string
	header   http.Header
	http     *http.Client
	own      bool           // http is ours, and Close releases its connections
	rest     *openai.Client // nil with NoFallback
	log      *slog.Logger
	maxAudio int // samples
}

// New returns a recognizer for cfg.
func New(cfg Config) (*Recognizer, error) {
	restURL, wsURL, err := wire.Endpoints(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", asr.ErrBadConfig, err)
	}
	cfg = withDefaults(cfg)
	r := &Recognizer{cfg: cfg, wsURL: wsURL, header: http.Header{}, http: cfg.HTTPClient,
		log: cfg.Logger, maxAudio: int(cfg.MaxAudio.Seconds() * asr.SampleRate)}
	if cfg.APIKey != "" {
		r.header.Set("Authorization", "Bearer "+cfg.APIKey)
	}
	if r.http == nil {
		r.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		r.own = true
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if !cfg.NoFallback {
		r.rest, err = openai.New(openai.Config{URL: restURL, Model: cfg.Model,
			APIKey: cfg.APIKey, Language: cfg.Language, Timeout: cfg.Timeout,
			MaxAudio: cfg.MaxAudio, MaxReply: cfg.MaxReply, Name: BackendREST,
			HTTPClient: r.http})
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAudio <= 0 {
		cfg.MaxAudio = DefaultMaxAudio
	}
	if cfg.MaxReply <= 0 {
		cfg.MaxReply = DefaultMaxReply
	}
	return cfg
}

// Close releases the idle connections of the recognizer's own HTTP
// client. Sessions still running are not affected.
func (r *Recognizer) Close() error {
	if r.own {
		r.http.CloseIdleConnections()
	}
	return nil
}

// Start connects a socket for one utterance and sends session.update and
// the opening commit, so that decoding runs while the caller speaks; ctx
// bounds this setup only. When the socket cannot be set up, the session
// keeps the audio for the REST fallback and Start succeeds, unless the
// fallback is off or ctx ended.
func (r *Recognizer) Start(ctx context.Context, opts asr.Options) (asr.Session, error) {
	if opts.Language == "" {
		opts.Language = r.cfg.Language
	}
	conn, err := r.connect(ctx, opts)
	if err != nil && (r.rest == nil || ctx.Err() != nil) {
		return nil, fmt.Errorf("start asr: %w", err)
	}
	return newSession(r, opts, conn, err), nil
}

// connect opens the socket and runs the opening of protocols.md 1b:
// session.created, then session.update and input_audio_buffer.commit.
func (r *Recognizer) connect(ctx context.Context, opts asr.Options) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, r.cfg.ConnectTimeout, errConnectTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, r.wsURL, &websocket.DialOptions{
		HTTPClient: r.http, HTTPHeader: r.header})
	if err != nil {
		return nil, r.dialError(ctx, resp, err)
	}
	conn.SetReadLimit(r.cfg.MaxReply)

	if err := r.opening(ctx, conn, opts); err != nil {
		conn.CloseNow()
		return nil, err
	}
	return conn, nil
}

// opening waits for session.created and configures the session.
func (r *Recognizer) opening(ctx context.Context, conn *websocket.Conn, opts asr.Options) error {
	for created := false; !created; {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return readError(ctx, err)
		}
		ev, err := parseEvent(data)
		if err != nil {
			return err
		}
		switch ev.Type {
		case typeCreated:
			created = true
		case typeError:
			return ev.upstreamError()
		}
	}

	update := sessionUpdate{Type: typeUpdate, Model: r.cfg.Model, Prompt: prompt(opts)}
	if opts.Language != "" {
		update.Language = wire.LanguageCode(opts.Language)
	}
	for _, msg := range [][]byte{mustJSON(update), commitStart} {
		if err := conn.Write(ctx, websocket.MessageText, msg); err != nil {
			return readError(ctx, err)
		}
	}
	return nil
}

// dialError describes a failed handshake: the server's refusal with its
// status and message, or the transport's failure.
func (r *Recognizer) dialError(ctx context.Context, resp *http.Response, err error) error {
	if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
		var body []byte
		if resp.Body != nil {
			body, _ = io.ReadAll(resp.Body)
		}
		ue := wire.HTTPError(BackendRealtime, resp.StatusCode, body)
		ue.Err = err
		return ue
	}
	if errors.Is(context.Cause(ctx), errConnectTimeout) {
		return readError(ctx, err)
	}
	return &asr.UpstreamError{Backend: BackendRealtime, Message: err.Error(), Err: err}
}

// errConnectTimeout is the cause of the connect context when it ran past
// Config.ConnectTimeout.
var errConnectTimeout = errors.New("connect timeout")

// readError describes a failure of the socket; ctx is the context the
// failed call ran under.
func readError(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), errConnectTimeout) {
		return &asr.UpstreamError{Backend: BackendRealtime, Err: asr.ErrTimeout,
			Message: "no session.created in time"}
	}
	if errors.Is(err, websocket.ErrMessageTooBig) {
		return &asr.UpstreamError{Backend: BackendRealtime, Message: err.Error(),
			Err: fmt.Errorf("%w: %w", asr.ErrBadResponse, err)}
	}
	return &asr.UpstreamError{Backend: BackendRealtime, Message: err.Error(),
		Err: fmt.Errorf("%w: %w", asr.ErrDisconnected, err)}
}
