package openai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/asr/internal/wire"
)

// Defaults of Config.
const (
	// DefaultTimeout bounds one HTTP attempt, from sending the request to
	// the end of the reply.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxAudio is the longest utterance a session buffers: about
	// 19 MB of WAV, under the 25 MB upload limit of vLLM and OpenAI.
	DefaultMaxAudio = 10 * time.Minute
	// DefaultMaxReply bounds the size of a reply.
	DefaultMaxReply = 1 << 20
	// DefaultName is the Result.Backend of a client without a Name.
	DefaultName = "openai"

	retryPause    = 100 * time.Millisecond
	maxErrorReply = 64 << 10
)

// Dialect is the flavour of a server's transcription endpoint.
type Dialect int

const (
	// DialectVLLM speaks vLLM's form (protocols.md 1a), which OpenAI and
	// whisper servers also accept: to_language and language as ISO 639-1
	// codes, prompt, hotwords, response_format=json, and with Stream an SSE
	// reply.
	DialectVLLM Dialect = iota
	// DialectMLX speaks mlx-audio's form (protocols.md 1c): language as a
	// full name ("English"), prompt and hotwords in context, and the
	// server's default ndjson reply.
	DialectMLX
)

// Config configures a Client. Every field but URL has a usable zero value.
type Config struct {
	// URL is the server's base URL ("http://gpu:8000"); a trailing /v1 or
	// the full endpoint path is accepted too.
	URL string
	// Model is the model field; omitted when empty (vLLM then uses the
	// model it serves; mlx-audio requires one).
	Model string
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	// Language is used when Options.Language is empty; empty lets the model
	// detect the language.
	Language string
	// Dialect selects the form fields and reply format.
	Dialect Dialect
	// Stream asks for a streamed reply, so that OnPartial sees the text
	// while the server decodes.
	Stream bool
	// Timeout bounds one attempt; DefaultTimeout when zero.
	Timeout time.Duration
	// MaxAudio bounds a session's audio; DefaultMaxAudio when zero.
	MaxAudio time.Duration
	// MaxReply bounds the bytes of one reply; DefaultMaxReply when zero.
	MaxReply int64
	// Name is the Result.Backend of this client; DefaultName when empty.
	Name string
	// HTTPClient sends the requests; a client of its own when nil.
	HTTPClient *http.Client
}

// Client transcribes utterances with an OpenAI-compatible
// POST /v1/audio/transcriptions. It implements asr.Recognizer and is safe
// for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	http     *http.Client
	own      bool // http is ours, and Close releases its connections
	maxAudio int  // samples
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	endpoint, _, err := wire.Endpoints(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", asr.ErrBadConfig, err)
	}
	if cfg.Dialect != DialectVLLM && cfg.Dialect != DialectMLX {
		return nil, fmt.Errorf("%w: unknown dialect %d", asr.ErrBadConfig, cfg.Dialect)
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
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	c := &Client{cfg: cfg, endpoint: endpoint, http: cfg.HTTPClient,
		maxAudio: int(cfg.MaxAudio.Seconds() * asr.SampleRate)}
	if c.http == nil {
		c.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		c.own = true
	}
	return c, nil
}

// Close releases the idle connections of the client's own HTTP client.
// Sessions still running are not affected.
func (c *Client) Close() error {
	if c.own {
		c.http.CloseIdleConnections()
	}
	return nil
}

// Start opens a session that buffers the utterance and sends it at Finish:
// a REST server cannot take audio before the utterance ends.
func (c *Client) Start(ctx context.Context, opts asr.Options) (asr.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start asr %s: %w", c.cfg.Name, err)
	}
	return newSession(c, opts), nil
}

// Transcribe sends one utterance and returns its transcript. A refused or
// reset connection and a 5xx answer are retried once, unless partial text
// already reached OnPartial; other failures return at once as an
// *asr.UpstreamError, or the context's error.
func (c *Client) Transcribe(ctx context.Context, pcm []int16,
	opts asr.Options) (asr.Result, error) {
	body, ctype, err := c.form(pcm, opts)
	if err != nil {
		return asr.Result{}, err
	}

	var emitted bool
	for attempt := 0; ; attempt++ {
		res, err := c.once(ctx, body, ctype, opts, &emitted)
		if err == nil {
			res.Audio = time.Duration(len(pcm)) * time.Second / asr.SampleRate
			res.Backend = c.cfg.Name
			return res, nil
		}
		var ue *asr.UpstreamError
		if attempt > 0 || emitted || !errors.As(err, &ue) || !ue.Retryable() {
			return asr.Result{}, err
		}
		pause := time.NewTimer(retryPause)
		select {
		case <-ctx.Done():
			pause.Stop()
			return asr.Result{}, fmt.Errorf("transcribe %s: %w (after: %w)", c.cfg.Name, ctx.Err(), err)
		case <-pause.C:
		}
	}
}

// once makes one attempt.
func (c *Client) once(ctx context.Context, body []byte, ctype string, opts asr.Options,
	emitted *bool) (asr.Result, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.cfg.Timeout, errAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return asr.Result{}, fmt.Errorf("transcribe %s: %w", c.cfg.Name, err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json, text/event-stream, application/x-ndjson")
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return asr.Result{}, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorReply))
		if err != nil && len(data) == 0 {
			return asr.Result{}, c.transportError(ctx, err)
		}
		return asr.Result{}, wire.HTTPError(c.cfg.Name, resp.StatusCode, data)
	}

	rd := replyReader{backend: c.cfg.Name, max: c.cfg.MaxReply, partial: opts.OnPartial,
		emitted: emitted}
	res, err := rd.read(resp)
	if err != nil && ctx.Err() != nil {
		return asr.Result{}, c.transportError(ctx, err)
	}
	return res, err
}

// errAttemptTimeout is the cause of an attempt's context when the attempt
// ran past Config.Timeout.
var errAttemptTimeout = errors.New("attempt timeout")

// transportError describes a failure to get or read a reply.
func (c *Client) transportError(ctx context.Context, err error) error {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errAttemptTimeout):
		return &asr.UpstreamError{Backend: c.cfg.Name, Err: asr.ErrTimeout,
			Message: fmt.Sprintf("no reply within %s", c.cfg.Timeout)}
	case cause != nil:
		return fmt.Errorf("transcribe %s: %w", c.cfg.Name, cause)
	}
	return &asr.UpstreamError{Backend: c.cfg.Name, Message: err.Error(), Err: err}
}

// form builds the multipart body of a request for pcm.
func (c *Client) form(pcm []int16, opts asr.Options) (body []byte, ctype string, err error) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="audio.wav"`)
	h.Set("Content-Type", "audio/wav")
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", fmt.Errorf("build request: %w", err)
	}
	if _, err := part.Write(wire.WAV(pcm, asr.SampleRate)); err != nil {
		return nil, "", fmt.Errorf("build request: %w", err)
	}
	for _, f := range c.fields(opts) {
		if err := w.WriteField(f[0], f[1]); err != nil {
			return nil, "", fmt.Errorf("build request: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", fmt.Errorf("build request: %w", err)
	}
	return b.Bytes(), w.FormDataContentType(), nil
}

// fields returns the form fields besides the file, in the dialect's names.
func (c *Client) fields(opts asr.Options) [][2]string {
	var f [][2]string
	add := func(name, value string) {
		if value != "" {
			f = append(f, [2]string{name, value})
		}
	}
	lang := opts.Language
	if lang == "" {
		lang = c.cfg.Language
	}
	add("model", c.cfg.Model)

	if c.cfg.Dialect == DialectMLX {
		if lang != "" {
			add("language", wire.LanguageName(lang))
		}
		add("context", strings.Join(nonEmpty(opts.Prompt, strings.Join(opts.Hotwords, ", ")), "\n"))
		if c.cfg.Stream {
			add("stream", "true")
		}
		return f
	}

	if lang != "" {
		add("to_language", wire.LanguageCode(lang))
		add("language", wire.LanguageCode(lang))
	}
	add("prompt", opts.Prompt)
	add("hotwords", strings.Join(opts.Hotwords, ","))
	add("response_format", "json")
	if c.cfg.Stream {
		add("stream", "true")
		add("stream_include_usage", "true")
	}
	return f
}

// nonEmpty returns the non-empty strings of ss.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
