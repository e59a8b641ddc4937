package qwen

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Server is the kind of server behind Config.URL. Both serve POST
// /v1/audio/speech but name some fields differently (protocols.md 2a and
// 2c).
type Server string

// Servers this package speaks to.
const (
	// VLLMOmni is vLLM-Omni serving a Qwen3-TTS checkpoint; the zero
	// Server means this one.
	VLLMOmni Server = "vllm-omni"
	// MLXAudio is mlx-audio's server on a Mac (mlx_audio.server). It takes
	// lang_code and instruct instead of language and instructions, and
	// needs Model.
	MLXAudio Server = "mlx-audio"
)

// Defaults of Config's zero values.
const (
	// DefaultVoice is the first voice of the CustomVoice checkpoints.
	DefaultVoice = "vivian"
	// DefaultLanguage lets the model tell the language from the text.
	DefaultLanguage = "Auto"
	// DefaultSampleRate is Qwen3-TTS's output rate.
	DefaultSampleRate = 24000
	// DefaultTimeout bounds a whole synthesis.
	DefaultTimeout = 60 * time.Second
	// DefaultFirstByteTimeout bounds the wait for the first audio.
	DefaultFirstByteTimeout = 10 * time.Second
	// DefaultMaxReplyBytes bounds one reply: over ten minutes of speech.
	DefaultMaxReplyBytes = 64 << 20
	// DefaultMaxTextBytes bounds the text of one request.
	DefaultMaxTextBytes = 4000
)

// Config configures a Synthesizer or a WSSynthesizer.
type Config struct {
	// URL is the server's base URL, such as "http://gpu1:8091"; a
	// trailing "/v1" is accepted too. Required.
	URL string
	// Server says which server that is; empty means VLLMOmni.
	Server Server
	// Model is sent as the request's model. vLLM-Omni serves one model
	// and may be sent none; mlx-audio loads the one named and needs it.
	Model string
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	// Voice is used when a Request names none; empty means "vivian".
	Voice string
	// Language is used when a Request names none: a BCP 47 tag or one of
	// Qwen3-TTS's language names. Empty means "Auto", the model's guess.
	Language string
	// Languages adds to or overrides the mapping from BCP 47 tags (or
	// their primary subtags) to the language names Qwen3-TTS takes,
	// which covers its ten languages: {"yue": "Cantonese"}.
	Languages map[string]string
	// Instructions, when set, describe the speaking style (instructions
	// for vLLM-Omni, instruct for mlx-audio).
	Instructions string
	// SampleRate is the rate of raw PCM replies, which do not say;
	// zero means 24000, Qwen3-TTS's rate. A WAV reply's own header wins.
	SampleRate int
	// Timeout bounds a whole synthesis, reading its audio included; zero
	// means 60 s.
	Timeout time.Duration
	// FirstByteTimeout bounds the wait from sending a request to the
	// first audio (for a WSSynthesizer: to the end of the WebSocket
	// handshake); zero means 10 s.
	FirstByteTimeout time.Duration
	// MaxReplyBytes bounds the bytes of one reply; zero means 64 MiB,
	// over ten minutes of speech.
	MaxReplyBytes int64
	// MaxTextBytes bounds the text of one request; zero means 4000.
	MaxTextBytes int
	// TextSplit is sent as split_granularity in a WSSynthesizer's
	// session.config when set ("sentence" or "clause"). Newer vLLM-Omni
	// servers hold all text until CloseText unless it is set; older ones
	// split at sentences on their own and may not know the field.
	TextSplit string
	// HTTPClient sends the requests; nil means a client of its own. Its
	// Timeout must be zero, or it cuts streams short: use Timeout.
	HTTPClient *http.Client
}

// withDefaults validates cfg and fills its zero values.
func (cfg Config) withDefaults() (Config, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("%w: url %q is not an http(s) URL", ErrBadConfig, cfg.URL)
	}
	cfg.URL = strings.TrimSuffix(strings.TrimRight(cfg.URL, "/"), "/v1")
	switch cfg.Server {
	case "":
		cfg.Server = VLLMOmni
	case VLLMOmni:
	case MLXAudio:
		if cfg.Model == "" {
			return cfg, fmt.Errorf("%w: mlx-audio needs a model", ErrBadConfig)
		}
	default:
		return cfg, fmt.Errorf("%w: unknown server %q", ErrBadConfig, cfg.Server)
	}
	if cfg.HTTPClient != nil && cfg.HTTPClient.Timeout != 0 {
		return cfg, fmt.Errorf("%w: the http client's timeout would cut streams short",
			ErrBadConfig)
	}

	cfg.Voice = cmp.Or(cfg.Voice, DefaultVoice)
	cfg.Language = cmp.Or(cfg.Language, DefaultLanguage)
	cfg.SampleRate = cmp.Or(cfg.SampleRate, DefaultSampleRate)
	cfg.Timeout = cmp.Or(cfg.Timeout, DefaultTimeout)
	cfg.FirstByteTimeout = cmp.Or(cfg.FirstByteTimeout, DefaultFirstByteTimeout)
	cfg.MaxReplyBytes = cmp.Or(cfg.MaxReplyBytes, DefaultMaxReplyBytes)
	cfg.MaxTextBytes = cmp.Or(cfg.MaxTextBytes, DefaultMaxTextBytes)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.SampleRate < 0 || cfg.Timeout < 0 || cfg.FirstByteTimeout < 0 ||
		cfg.MaxReplyBytes < 0 || cfg.MaxTextBytes < 0 {
		return cfg, fmt.Errorf("%w: negative limit", ErrBadConfig)
	}
	return cfg, nil
}
