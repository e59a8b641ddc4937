package rag

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults shared by the embeddings and rerank clients.
const (
	// DefaultMaxBatch is TEI's default --max-client-batch-size.
	DefaultMaxBatch = 32
	// DefaultTimeout bounds one HTTP attempt.
	DefaultTimeout = 30 * time.Second

	maxRetries     = 2
	retryBackoff   = 100 * time.Millisecond
	maxReplyBytes  = 64 << 20
	maxErrorDetail = 300
)

// upstream posts JSON to a model server and decodes its answers and
// errors.
type upstream struct {
	base    string
	apiKey  string
	client  *http.Client
	timeout time.Duration
	backoff time.Duration
}

// newUpstream validates the base URL and fills defaults.
func newUpstream(base, apiKey string, timeout time.Duration, client *http.Client) (*upstream, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: url %q is not an http(s) URL", ErrBadConfig, base)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &upstream{base: strings.TrimRight(base, "/"), apiKey: apiKey, client: client,
		timeout: timeout, backoff: retryBackoff}, nil
}

// post sends body to path and decodes the 2xx answer into out. Overload
// (429), server errors (5xx) and refused or reset connections are retried
// up to maxRetries times with a growing pause; other failures, and the
// caller's cancellation, end the call at once.
func (u *upstream) post(ctx context.Context, path string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	for attempt := 0; ; attempt++ {
		err = u.once(ctx, path, payload, out)
		if err == nil || attempt >= maxRetries || !retryable(err) || ctx.Err() != nil {
			return err
		}
		pause := time.NewTimer(u.backoff * time.Duration(1<<attempt))
		select {
		case <-ctx.Done():
			pause.Stop()
			return fmt.Errorf("%w (after: %w)", ctx.Err(), err)
		case <-pause.C:
		}
	}
}

func (u *upstream) once(ctx context.Context, path string, payload []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.base+path, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("post %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if u.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+u.apiKey)
	}

	resp, err := u.client.Do(req)
	if err != nil {
		return fmt.Errorf("post %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes))
	if err != nil {
		return fmt.Errorf("post %s: read reply: %w", path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post %s: %w", path, parseUpstreamError(resp.StatusCode, data))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("post %s: %w: %w", path, ErrBadResponse, err)
	}
	return nil
}

// retryable reports whether a failed attempt may succeed if repeated.
func retryable(err error) bool {
	if ue, ok := errors.AsType[*UpstreamError](err); ok {
		return ue.Retryable()
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// parseUpstreamError reads the error body of a non-2xx answer. It knows
// TEI's native {"error","error_type"}, the flat OpenAI-style
// {"message","type","code"} of TEI's /v1 routes and older vLLM, and the
// nested {"error":{"message","type","code"}} of current vLLM; anything
// else (413 is plain text) becomes the message as is.
func parseUpstreamError(status int, body []byte) *UpstreamError {
	e := &UpstreamError{Status: status}
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) == nil {
		var nested struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
		}
		switch {
		case json.Unmarshal(raw["error"], &e.Message) == nil:
			_ = json.Unmarshal(raw["error_type"], &e.Type)
		case json.Unmarshal(raw["error"], &nested) == nil:
			e.Message, e.Type = nested.Message, nested.Type
		case raw["message"] != nil:
			_ = json.Unmarshal(raw["message"], &e.Message)
			_ = json.Unmarshal(raw["type"], &e.Type)
		}
	}
	if e.Message == "" {
		e.Message = collapseSpace(string(body))
	}
	if len(e.Message) > maxErrorDetail {
		e.Message = e.Message[:maxErrorDetail] + "..."
	}
	return e
}
