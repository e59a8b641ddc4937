package openai

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/asr/asrtest"
)

// newClient returns a client of srv's URL, closed when the test ends.
func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// speech returns n samples of a ramp, standing in for speech.
func speech(n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(i % 2000)
	}
	return pcm
}

func TestFields(t *testing.T) {
	opts := asr.Options{Language: "en-US", Prompt: "Opening hours?", Hotwords: []string{"Acme", "Zed"}}
	tests := []struct {
		name string
		cfg  Config
		want map[string]string
	}{
		{"vllm", Config{Model: "Qwen/Qwen3-ASR-1.7B"}, map[string]string{
			"model": "Qwen/Qwen3-ASR-1.7B", "to_language": "en", "language": "en",
			"prompt": "Opening hours?", "hotwords": "Acme,Zed", "response_format": "json"}},
		{"vllm stream", Config{Stream: true}, map[string]string{
			"to_language": "en", "language": "en", "prompt": "Opening hours?", "hotwords": "Acme,Zed",
			"response_format": "json", "stream": "true", "stream_include_usage": "true"}},
		{"mlx", Config{Model: "mlx-community/Qwen3-ASR", Dialect: DialectMLX}, map[string]string{
			"model": "mlx-community/Qwen3-ASR", "language": "English",
			"context": "Opening hours?\nAcme, Zed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asrtest.CheckGoroutines(t)
			srv := asrtest.NewServer(t)
			srv.SetDefault(asrtest.Script{Format: asrtest.FormatJSON})
			tt.cfg.URL, tt.cfg.APIKey = srv.URL+"/v1/", "sk-test"
			c := newClient(t, tt.cfg)
			if _, err := c.Transcribe(context.Background(), speech(4000), opts); err != nil {
				t.Fatalf("Transcribe: %v", err)
			}
			req := srv.Requests()[0]
			if !maps.Equal(req.Fields, tt.want) {
				t.Errorf("got fields %q, want %q", req.Fields, tt.want)
			}
			if req.Samples != 4000 || req.FileType != "audio/wav" || req.FileName != "audio.wav" ||
				len(req.Violations) != 0 {
				t.Errorf("got file %+v, want 4000 samples of audio/wav", req)
			}
			if got := req.Header.Get("Authorization"); got != "Bearer sk-test" {
				t.Errorf("got Authorization %q, want the bearer token", got)
			}
		})
	}
}

func TestReplies(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		script   asrtest.Script
		samples  int
		text     string
		lang     string
		partials []string
	}{
		{name: "json", script: asrtest.Script{Text: "Good morning."}, samples: 1600,
			text: "Good morning.", lang: "English", partials: []string{"Good morning."}},
		{name: "json empty audio", samples: 0, text: "", lang: "", partials: nil},
		{name: "text format", script: asrtest.Script{Format: asrtest.FormatText, Text: "Hi."},
			samples: 10, text: "Hi.", lang: "English"},
		{name: "sse", cfg: Config{Stream: true},
			script: asrtest.Script{Text: "Wie geht es", Language: "German"}, samples: 1600,
			text: "Wie geht es", lang: "German", partials: []string{"Wie", "Wie geht", "Wie geht es"}},
		{name: "sse empty audio", cfg: Config{Stream: true}, samples: 0, text: "", lang: ""},
		{name: "ndjson", cfg: Config{Dialect: DialectMLX, Model: "m", Stream: true},
			script: asrtest.Script{Format: asrtest.FormatNDJSON, Text: "One two"}, samples: 1600,
			text: "One two", lang: "English", partials: []string{"One", "One two"}},
		{name: "raw deltas", cfg: Config{Stream: true},
			script:  asrtest.Script{Deltas: []string{"langu", "age French<as", "r_text>Bon", "jour"}},
			samples: 1600, text: "Bonjour", lang: "French", partials: []string{"Bon", "Bonjour"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asrtest.CheckGoroutines(t)
			srv := asrtest.NewServer(t)
			srv.EnqueueREST(tt.script)
			tt.cfg.URL, tt.cfg.Name = srv.URL, "test"
			c := newClient(t, tt.cfg)
			var partials []string
			opts := asr.Options{OnPartial: func(s string) { partials = append(partials, s) }}

			res, err := c.Transcribe(context.Background(), speech(tt.samples), opts)
			if err != nil {
				t.Fatalf("Transcribe: %v", err)
			}
			want := asr.Result{Text: tt.text, Language: tt.lang, Backend: "test",
				Audio: time.Duration(tt.samples) * time.Second / 16000}
			if res != want {
				t.Errorf("got %+v, want %+v", res, want)
			}
			if !slices.Equal(partials, tt.partials) {
				t.Errorf("got partials %q, want %q", partials, tt.partials)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name     string
		stream   bool
		timeout  time.Duration // Config.Timeout, 5 s when zero
		scripts  []asrtest.Script
		is       []error // what the error must match
		status   int
		msg      string // in the error
		requests int
	}{
		{name: "401", scripts: []asrtest.Script{{Status: 401, Message: "Incorrect API key provided."}},
			is: []error{asr.ErrUnauthorized}, status: 401, msg: "Incorrect API key provided.", requests: 1},
		{name: "403", scripts: []asrtest.Script{{Status: 403, Message: "forbidden"}},
			is: []error{asr.ErrUnauthorized}, status: 403, msg: "forbidden", requests: 1},
		{name: "400 not retried", scripts: []asrtest.Script{{Status: 400, Message: "bad audio"}},
			status: 400, msg: "bad audio", requests: 1},
		{name: "5xx retried once", scripts: []asrtest.Script{{Status: 503, Message: "busy"},
			{Status: 500, Message: "still busy"}}, status: 500, msg: "still busy", requests: 2},
		{name: "slow first byte", scripts: []asrtest.Script{{Delay: 10 * time.Second}},
			timeout: 300 * time.Millisecond, is: []error{asr.ErrTimeout}, requests: 1},
		{name: "hang", scripts: []asrtest.Script{{Hang: true}}, timeout: 300 * time.Millisecond,
			is: []error{asr.ErrTimeout}, requests: 1},
		{name: "malformed json", scripts: []asrtest.Script{{Malformed: true}},
			is: []error{asr.ErrBadResponse}, requests: 1},
		{name: "malformed sse", stream: true, scripts: []asrtest.Script{{Malformed: true}},
			is: []error{asr.ErrBadResponse}, requests: 1},
		{name: "oversized json", scripts: []asrtest.Script{{Oversize: 2 << 20}},
			is: []error{asr.ErrBadResponse}, msg: "over 1048576 bytes", requests: 1},
		{name: "oversized sse", stream: true, scripts: []asrtest.Script{{Oversize: 2 << 20}},
			is: []error{asr.ErrBadResponse}, requests: 1},
		{name: "json cut", scripts: []asrtest.Script{{Drop: true}},
			is: []error{asr.ErrDisconnected}, requests: 1},
		{name: "sse cut mid-stream", stream: true, scripts: []asrtest.Script{{Drop: true, DropAfterDeltas: 5}},
			is: []error{asr.ErrDisconnected}, requests: 1},
		{name: "sse error mid-stream", stream: true,
			scripts: []asrtest.Script{{ErrorMessage: "CUDA out of memory", ErrorAfterDeltas: 5}},
			status:  500, msg: "CUDA out of memory", requests: 1},
		{name: "sse error before text is retried", stream: true,
			scripts: []asrtest.Script{{ErrorMessage: "busy", ErrorCode: "503"}, {}}, requests: 2},
		{name: "ndjson error line", scripts: []asrtest.Script{{Format: asrtest.FormatNDJSON,
			ErrorMessage: "Model not loaded", ErrorAfterDeltas: 2}},
			msg: "asr openai (ValueError): Model not loaded", requests: 1},
		{name: "in-band json error", scripts: []asrtest.Script{{ErrorMessage: "nope", ErrorCode: "400"}},
			status: 400, msg: "nope", requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asrtest.CheckGoroutines(t)
			srv := asrtest.NewServer(t)
			srv.EnqueueREST(tt.scripts...)
			c := newClient(t, Config{URL: srv.URL, Stream: tt.stream,
				Timeout: cmp.Or(tt.timeout, 5*time.Second)})
			opts := asr.Options{OnPartial: func(string) {}}

			start := time.Now()
			res, err := c.Transcribe(context.Background(), speech(16000), opts)
			if elapsed := time.Since(start); elapsed > 4*time.Second {
				t.Errorf("took %s, want a prompt failure", elapsed)
			}
			if got := len(srv.Requests()); got != tt.requests {
				t.Errorf("got %d requests, want %d", got, tt.requests)
			}
			if tt.is == nil && tt.status == 0 && tt.msg == "" {
				if err != nil || res.Text != "Hello." {
					t.Errorf("got %+v, %v; want Hello.", res, err)
				}
				return
			}
			checkError(t, err, tt.is, tt.status, tt.msg)
		})
	}
}

// checkError checks that err is an *asr.UpstreamError matching is, with
// the status and a message holding msg.
func checkError(t *testing.T, err error, is []error, status int, msg string) {
	t.Helper()
	ue, ok := errors.AsType[*asr.UpstreamError](err)
	if !ok {
		t.Fatalf("got %v, want an *asr.UpstreamError", err)
	}
	for _, target := range is {
		if !errors.Is(err, target) {
			t.Errorf("got %v, want it to match %v", err, target)
		}
	}
	if ue.Status != status {
		t.Errorf("got status %d, want %d", ue.Status, status)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("got %q, want it to hold %q", err, msg)
	}
	if errors.Is(err, asr.ErrUnauthorized) != (status == 401 || status == 403) {
		t.Errorf("got %v matching ErrUnauthorized %v for status %d", err,
			errors.Is(err, asr.ErrUnauthorized), status)
	}
}

func TestRefused(t *testing.T) {
	asrtest.CheckGoroutines(t)
	c := newClient(t, Config{URL: asrtest.RefusedURL(t)})
	_, err := c.Transcribe(context.Background(), speech(100), asr.Options{})
	ue, ok := errors.AsType[*asr.UpstreamError](err)
	if !ok || !errors.Is(err, syscall.ECONNREFUSED) || !ue.Retryable() {
		t.Errorf("got %v, want a retryable UpstreamError for the refused connection", err)
	}
}

func TestRefusedThenBack(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	srv.EnqueueREST(asrtest.Script{Status: 502})
	c := newClient(t, Config{URL: srv.URL})
	res, err := c.Transcribe(context.Background(), speech(100), asr.Options{})
	if err != nil || res.Text != "Hello." {
		t.Errorf("got %+v, %v; want the retry to answer", res, err)
	}
}

func TestContextCanceled(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	srv.EnqueueREST(asrtest.Script{Hang: true})
	c := newClient(t, Config{URL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Transcribe(ctx, speech(100), asr.Options{})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, asr.ErrTimeout) {
		t.Errorf("got %v, want the caller's deadline", err)
	}
}

func TestNew(t *testing.T) {
	for _, cfg := range []Config{{}, {URL: "gpu:8000"}, {URL: "http://gpu", Dialect: 7}} {
		if _, err := New(cfg); !errors.Is(err, asr.ErrBadConfig) {
			t.Errorf("New(%+v) = %v, want ErrBadConfig", cfg, err)
		}
	}
}
