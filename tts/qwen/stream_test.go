package qwen

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/voiced/voiced/tts"
	"github.com/voiced/voiced/tts/ttstest"
)

func TestReplyTooLarge(t *testing.T) {
	speech := ttstest.SpeechFor(hello) // 6960 samples, 13920 bytes
	tests := []struct {
		name    string
		limit   int64
		script  ttstest.Script
		want    error
		samples int
	}{
		{"raw pcm at the limit", 13920, ttstest.Script{Format: ttstest.PCM}, nil, len(speech)},
		{"raw pcm over the limit", 10000, ttstest.Script{Format: ttstest.PCM}, ErrReplyTooLarge,
			5000},
		{"sse over the limit", 10000, ttstest.Script{Format: ttstest.SSE}, ErrReplyTooLarge,
			-1},
		{"one huge sse event", 10000, ttstest.Script{Format: ttstest.SSE, ChunkBytes: 1 << 20},
			ErrReplyTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := newServer(t, func(c *Config) { c.MaxReplyBytes = tt.limit })
			srv.Enqueue(tt.script)
			st, err := s.Synthesize(testContext(t), tts.Request{Text: hello})
			if tt.samples == 0 {
				if !errors.Is(err, tt.want) {
					t.Fatalf("got %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()

			got, err := readAll(st, 1000)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if !isPrefix(got, speech) {
				t.Fatal("the samples before the error differ from the speech sent")
			}
			if tt.samples > 0 && len(got) != tt.samples {
				t.Fatalf("got %d samples, want %d", len(got), tt.samples)
			}
		})
	}
}

// TestReadEnds checks that a Read blocked on a slow server ends when the
// synthesis times out, the caller cancels, or another goroutine closes
// the stream.
func TestReadEnds(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		cancel  bool
		close   bool
		want    error
	}{
		{"timeout", 300 * time.Millisecond, false, false, ErrTimeout},
		{"timeout is a deadline", 300 * time.Millisecond, false, false,
			context.DeadlineExceeded},
		{"caller cancels", time.Minute, true, false, context.Canceled},
		{"close", time.Minute, false, true, tts.ErrStreamClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := newServer(t, func(c *Config) { c.Timeout = tt.timeout })
			srv.Enqueue(ttstest.Script{Format: ttstest.SSE, ChunkDelay: time.Minute})
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			st, err := s.Synthesize(ctx, tts.Request{Text: hello})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			switch {
			case tt.cancel:
				time.AfterFunc(100*time.Millisecond, cancel)
			case tt.close:
				time.AfterFunc(100*time.Millisecond, func() { st.Close() })
			}

			got, err := readAll(st, 4800)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if len(got) != 480 {
				t.Fatalf("got %d samples, want the first chunk's 480", len(got))
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"no url", Config{}, ErrBadConfig},
		{"not http", Config{URL: "ftp://host"}, ErrBadConfig},
		{"no host", Config{URL: "http://"}, ErrBadConfig},
		{"unknown server", Config{URL: "http://h", Server: "tgi"}, ErrBadConfig},
		{"mlx-audio without a model", Config{URL: "http://h", Server: MLXAudio}, ErrBadConfig},
		{"client with a timeout", Config{URL: "http://h",
			HTTPClient: &http.Client{Timeout: time.Second}}, ErrBadConfig},
		{"unknown default language", Config{URL: "http://h", Language: "tlh"},
			tts.ErrUnsupportedLanguage},
		{"negative limit", Config{URL: "http://h", MaxReplyBytes: -1}, ErrBadConfig},
		{"fine", Config{URL: "https://h:8091/v1/"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	s, err := New(Config{URL: "https://h:8091/v1/"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://h:8091/v1/audio/speech"; s.endpoint != want {
		t.Fatalf("got endpoint %q, want %q", s.endpoint, want)
	}
}

func TestParseUpstreamError(t *testing.T) {
	long := strings.Repeat("x", 400)
	tests := []struct {
		name string
		body string
		want UpstreamError
	}{
		{"vllm", `{"error":{"message":"bad voice","type":"BadRequestError","param":"voice",` +
			`"code":400}}`, UpstreamError{Status: 400, Type: "BadRequestError", Param: "voice",
			Code: "400", Message: "bad voice"}},
		{"string code", `{"error":{"message":"m","type":"t","param":null,"code":"invalid"}}`,
			UpstreamError{Status: 400, Type: "t", Code: "invalid", Message: "m"}},
		{"bare string", `{"error":"model not loaded"}`,
			UpstreamError{Status: 400, Message: "model not loaded"}},
		{"fastapi detail", `{"detail":"Not Found"}`, UpstreamError{Status: 400,
			Message: "Not Found"}},
		{"fastapi validation", `{"detail":[{"loc":["body","input"]}]}`, UpstreamError{
			Status: 400, Message: `[{"loc":["body","input"]}]`}},
		{"flat", `{"message":"m","type":"invalid_request_error"}`, UpstreamError{Status: 400,
			Type: "invalid_request_error", Message: "m"}},
		{"plain text", "Internal\n  Server Error", UpstreamError{Status: 400,
			Message: "Internal Server Error"}},
		{"long", long, UpstreamError{Status: 400, Message: long[:maxErrorDetail] + "..."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseUpstreamError(400, []byte(tt.body)); *got != tt.want {
				t.Fatalf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}
