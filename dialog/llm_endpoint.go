package dialog

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// LLMConfig describes one OpenAI-compatible chat model endpoint.
type LLMConfig struct {
	// Name labels the endpoint in errors, logs and metrics (default "llm"
	// or "small_llm").
	Name string
	// BaseURL is the API base including its version path, for example
	// "http://gpu1:8000/v1" (vLLM) or "http://localhost:11434/v1" (Ollama).
	// With Azure it is the resource endpoint, "https://x.openai.azure.com".
	BaseURL string
	// Model is the model name; with Azure it is the deployment name.
	Model  string
	APIKey string
	// Azure selects Azure OpenAI's deployment URLs and api-key header.
	Azure bool
	// AzureAPIVersion is the api-version query value (default 2024-10-21).
	AzureAPIVersion string
	// Timeout bounds one whole request (default 60s).
	Timeout time.Duration
	// FirstTokenTimeout bounds the wait for the first streamed token
	// (default 10s); past it, the next model of the chain answers.
	FirstTokenTimeout time.Duration
	// MaxTokens limits the answer's length; 0 leaves it to the server.
	MaxTokens   int
	Temperature float32
	// Locality is "local" (inside the customer's perimeter) or "external".
	// Anything but "local" is treated as external: such an endpoint never
	// receives conversation history or raw documents.
	Locality string
	// Region labels where an external endpoint runs, for the egress ledger.
	Region string
	// HTTPClient is used for requests (default: a plain client; the
	// timeouts above apply through the request context).
	HTTPClient *http.Client
}

// Default values of LLMConfig.
const (
	defaultAzureAPIVersion   = "2024-10-21"
	defaultLLMTimeout        = 60 * time.Second
	defaultFirstTokenTimeout = 10 * time.Second
)

// Kinds of LLM failures, the kind label of dialog_llm_errors_total.
const (
	kindConnect           = "connect"
	kindServer            = "server"
	kindAuth              = "auth"
	kindClient            = "client"
	kindFirstTokenTimeout = "first_token_timeout"
	kindTimeout           = "timeout"
	kindStream            = "stream"
)

// endpoint is a configured model with its client.
type endpoint struct {
	cfg    LLMConfig
	name   string
	mode   string
	client *openai.Client
	// slot is the endpoint's breaker in Engine.breakers.
	slot int
}

func newEndpoint(cfg LLMConfig, name, mode string) (*endpoint, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("base url is required")
	}
	if cfg.Model == "" {
		return nil, errors.New("model is required")
	}
	if cfg.Name == "" {
		cfg.Name = name
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultLLMTimeout
	}
	if cfg.FirstTokenTimeout <= 0 {
		cfg.FirstTokenTimeout = defaultFirstTokenTimeout
	}
	if cfg.AzureAPIVersion == "" {
		cfg.AzureAPIVersion = defaultAzureAPIVersion
	}

	var oc openai.ClientConfig
	if cfg.Azure {
		oc = openai.DefaultAzureConfig(cfg.APIKey, cfg.BaseURL)
		oc.APIVersion = cfg.AzureAPIVersion
		// The deployment name is used exactly as configured.
		oc.AzureModelMapperFunc = func(model string) string { return model }
	} else {
		oc = openai.DefaultConfig(cfg.APIKey)
		oc.BaseURL = cfg.BaseURL
	}
	// A nil *http.Client must not become a non-nil interface value.
	oc.HTTPClient = &http.Client{}
	if cfg.HTTPClient != nil {
		oc.HTTPClient = cfg.HTTPClient
	}
	return &endpoint{cfg: cfg, name: cfg.Name, mode: mode,
		client: openai.NewClientWithConfig(oc)}, nil
}

// local reports whether the endpoint runs inside the customer's perimeter.
func (ep *endpoint) local() bool { return ep.cfg.Locality == "local" }

// complete sends a non-streaming request and returns the answer's text.
func (ep *endpoint) complete(ctx context.Context, req openai.ChatCompletionRequest) (string, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, ep.cfg.Timeout, ErrLLMTimeout)
	defer cancel()

	resp, err := ep.client.CreateChatCompletion(ctx, req)
	if err != nil {
		return "", ep.wrapErr(ctx, err)
	}
	if len(resp.Choices) == 0 || strings.TrimSpace(resp.Choices[0].Message.Content) == "" {
		return "", ep.streamErr(0, "empty answer", errEmptyAnswer)
	}
	return strings.TrimSpace(resp.Choices[0].Message.Content), nil
}

// wrapErr turns a client error into an LLMError, recognising the cause
// of the request context's end, HTTP statuses and transport failures.
func (ep *endpoint) wrapErr(ctx context.Context, err error) *LLMError {
	var le *LLMError
	if errors.As(err, &le) {
		return le
	}
	le = &LLMError{Endpoint: ep.name, Err: err, Message: err.Error()}

	cause := context.Cause(ctx)
	var api *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.Is(cause, ErrFirstTokenTimeout):
		le.Err, le.kind = ErrFirstTokenTimeout, kindFirstTokenTimeout
		le.Message = fmt.Sprintf("no first token within %s", ep.cfg.FirstTokenTimeout)
	case errors.Is(cause, ErrLLMTimeout):
		le.Err, le.kind = ErrLLMTimeout, kindTimeout
		le.Message = fmt.Sprintf("no complete answer within %s", ep.cfg.Timeout)
	case errors.As(err, &api):
		le.Status, le.Message = api.HTTPStatusCode, api.Message
		if le.Status == 0 {
			le.Status = codeStatus(api.Code)
		}
	case errors.As(err, &reqErr):
		le.Status = reqErr.HTTPStatusCode
		le.Message = strings.TrimSpace(string(reqErr.Body))
		if len(le.Message) > 300 {
			le.Message = le.Message[:300]
		}
		if le.Message == "" {
			le.Message = reqErr.HTTPStatus
		}
	}
	if le.kind == "" {
		le.kind = classify(le.Status, err)
	}
	return le
}

// streamErr builds the error for a broken stream.
func (ep *endpoint) streamErr(status int, msg string, cause error) *LLMError {
	return &LLMError{Endpoint: ep.name, Status: status, Message: msg, Err: cause, kind: kindStream}
}

// classify names the kind of a failure that is not a timeout.
func classify(status int, err error) string {
	var op *net.OpError
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return kindAuth
	case status >= 500:
		return kindServer
	case status >= 400:
		return kindClient
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &op) && op.Op == "dial":
		return kindConnect
	default:
		return kindStream
	}
}

// codeStatus reads an HTTP status from an in-stream error's code field,
// which servers send as a number, a numeric string or a word.
func codeStatus(code any) int {
	switch c := code.(type) {
	case float64:
		return int(c)
	case string:
		n, _ := strconv.Atoi(c)
		return n
	}
	return 0
}
