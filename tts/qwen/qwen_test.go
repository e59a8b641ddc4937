package qwen

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/voiced/voiced/tts"
	"github.com/voiced/voiced/tts/ttstest"
)

const hello = "Hello, thank you for calling."

func TestSynthesizeFormats(t *testing.T) {
	speech := ttstest.SpeechFor(hello)
	tests := []struct {
		name     string
		script   ttstest.Script
		readSize int
		wantRate int
	}{
		{"auto: raw pcm for stream_format audio", ttstest.Script{}, 480, 24000},
		{"older server: raw pcm", ttstest.Script{Format: ttstest.PCM}, 480, 24000},
		{"raw pcm, one byte a chunk", ttstest.Script{Format: ttstest.PCM, ChunkBytes: 1},
			1000, 24000},
		{"raw pcm, odd chunks, small reads", ttstest.Script{Format: ttstest.PCM, ChunkBytes: 777},
			7, 24000},
		{"raw pcm with a rate parameter", ttstest.Script{Format: ttstest.PCM,
			ContentType: "audio/pcm; rate=16000"}, 480, 16000},
		{"raw pcm labelled audio/wav", ttstest.Script{Format: ttstest.PCM,
			ContentType: "audio/wav"}, 480, 24000},
		{"newer server: sse", ttstest.Script{Format: ttstest.SSE, ChunkBytes: 333}, 480, 24000},
		{"sse with comments, unknown events and crlf", ttstest.Script{Format: ttstest.SSE,
			Noise: true}, 100, 24000},
		{"sse with an unknown event type at the end", ttstest.Script{Format: ttstest.SSE,
			RawEvents: []string{`{"type":"speech.audio.usage","tokens":4}`}}, 480, 24000},
		{"wav header, size unknown", ttstest.Script{Format: ttstest.WAV, ChunkBytes: 31},
			480, 24000},
		{"wav at 16 kHz", ttstest.Script{Format: ttstest.WAV, SampleRate: 16000}, 480, 16000},
		{"server that does not stream: one wav file", ttstest.Script{Format: ttstest.WAVFile,
			SampleRate: 22050}, 480, 22050},
		{"a wav file a chunk", ttstest.Script{Format: ttstest.WAVChunks, ChunkBytes: 777},
			480, 24000},
		{"a wav file a chunk, labelled audio/pcm", ttstest.Script{Format: ttstest.WAVChunks,
			ContentType: "audio/pcm"}, 480, 24000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := newServer(t, nil)
			srv.Enqueue(tt.script)
			st, err := s.Synthesize(testContext(t), tts.Request{Text: hello})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()

			if got := st.SampleRate(); got != tt.wantRate {
				t.Fatalf("got %d Hz, want %d", got, tt.wantRate)
			}
			got, err := readAll(st, tt.readSize)
			if err != nil {
				t.Fatal(err)
			}
			samePCM(t, got, speech)
		})
	}
}

func TestSynthesizeEmptyReply(t *testing.T) {
	for _, format := range []ttstest.Format{ttstest.PCM, ttstest.SSE, ttstest.WAV} {
		srv, s := newServer(t, nil)
		srv.Enqueue(ttstest.Reply(format, []int16{}))
		st, err := s.Synthesize(testContext(t), tts.Request{Text: "..."})
		if err != nil {
			t.Fatalf("format %d: %v", format, err)
		}
		if got, err := readAll(st, 100); len(got) != 0 || err != nil {
			t.Fatalf("format %d: got %d samples and %v, want none and the end", format,
				len(got), err)
		}
		st.Close()
	}
}

// TestSynthesizeStreams checks that audio is handed on as it arrives: the
// second chunk is ten seconds away, yet Synthesize returns and the first
// chunk reads at once, and Close ends the wait.
func TestSynthesizeStreams(t *testing.T) {
	srv, s := newServer(t, nil)
	srv.Enqueue(ttstest.Script{Format: ttstest.PCM, ChunkBytes: 960, ChunkDelay: time.Minute})
	start := time.Now()
	st, err := s.Synthesize(testContext(t), tts.Request{Text: hello})
	if err != nil {
		t.Fatal(err)
	}

	buf := make([]int16, 4800)
	n, err := st.Read(buf)
	if err != nil || n != 480 {
		t.Fatalf("got %d samples and %v, want the first chunk's 480", n, err)
	}
	if !isPrefix(buf[:n], ttstest.SpeechFor(hello)) {
		t.Fatal("the first samples differ from the speech sent")
	}
	time.AfterFunc(100*time.Millisecond, func() { st.Close() })
	if _, err := st.Read(buf); !errors.Is(err, tts.ErrStreamClosed) {
		t.Fatalf("got %v, want %v", err, tts.ErrStreamClosed)
	}
	if d := time.Since(start); d > testTimeout {
		t.Fatalf("took %v, want well under the minute between chunks", d)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := st.Read(buf); !errors.Is(err, tts.ErrStreamClosed) {
		t.Fatalf("Read after Close: got %v, want %v", err, tts.ErrStreamClosed)
	}
}

// TestSynthesizeRequest checks the exact JSON sent (protocols.md 2a and
// 2c) and the headers.
func TestSynthesizeRequest(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		req  tts.Request
		want string
	}{
		{"defaults", Config{}, tts.Request{Text: " Hi\nthere. "},
			`{"input":"Hi there.","language":"Auto","response_format":"pcm","stream":true,` +
				`"stream_format":"audio","voice":"vivian"}`},
		{"everything", Config{Model: "Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice", Voice: "ryan",
			Language: "en", Instructions: "Warm and calm.", APIKey: "k1"},
			tts.Request{Text: "Hallo.", Voice: "Uncle_Fu", Language: "de-DE"},
			`{"input":"Hallo.","instructions":"Warm and calm.","language":"German",` +
				`"model":"Qwen/Qwen3-TTS-12Hz-1.7B-CustomVoice","response_format":"pcm",` +
				`"stream":true,"stream_format":"audio","voice":"uncle_fu"}`},
		{"config language", Config{Language: "ja-JP"}, tts.Request{Text: "a"},
			`{"input":"a","language":"Japanese","response_format":"pcm","stream":true,` +
				`"stream_format":"audio","voice":"vivian"}`},
		{"mlx-audio", Config{Server: MLXAudio, Model: "mlx-community/Qwen3-TTS",
			Instructions: "Slow."}, tts.Request{Text: "Hola.", Language: "es"},
			`{"input":"Hola.","instruct":"Slow.","lang_code":"Spanish",` +
				`"model":"mlx-community/Qwen3-TTS","response_format":"pcm","stream":true,` +
				`"voice":"vivian"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := newServer(t, func(c *Config) {
				url := c.URL
				*c = tt.cfg
				c.URL = url + "/v1/"
			})
			st, err := s.Synthesize(testContext(t), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			st.Close()

			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if got := string(r.Body); got != tt.want {
				t.Fatalf("got body\n%s\nwant\n%s", got, tt.want)
			}
			if r.Path != "/v1/audio/speech" {
				t.Fatalf("got path %q, want /v1/audio/speech", r.Path)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Fatalf("got Content-Type %q, want application/json", got)
			}
			wantAuth := ""
			if tt.cfg.APIKey != "" {
				wantAuth = "Bearer " + tt.cfg.APIKey
			}
			if got := r.Header.Get("Authorization"); got != wantAuth {
				t.Fatalf("got Authorization %q, want %q", got, wantAuth)
			}
		})
	}
}

func TestLanguages(t *testing.T) {
	l := newLanguages(map[string]string{"yue": "Cantonese", "zh-TW": "Chinese"})
	tests := []struct {
		tag  string
		want string
		err  error
	}{
		{"en", "English", nil},
		{"en-GB", "English", nil},
		{"de_AT", "German", nil},
		{"zh-Hans-CN", "Chinese", nil},
		{"pt-BR", "Portuguese", nil},
		{"German", "German", nil},
		{"auto", "Auto", nil},
		{"yue-HK", "Cantonese", nil},
		{"cantonese", "Cantonese", nil},
		{"tlh", "", tts.ErrUnsupportedLanguage},
		{"x-en", "", tts.ErrUnsupportedLanguage},
	}
	for _, tt := range tests {
		got, err := l.name(tt.tag)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%q: got %q, %v; want %q, %v", tt.tag, got, err, tt.want, tt.err)
		}
	}
}

func TestSynthesizeRejects(t *testing.T) {
	srv, s := newServer(t, nil)
	tests := []struct {
		name string
		req  tts.Request
		want error
	}{
		{"empty", tts.Request{}, tts.ErrEmptyText},
		{"blank and control characters", tts.Request{Text: " \t\x00\x1b\n"}, tts.ErrEmptyText},
		{"too long", tts.Request{Text: strings.Repeat("a", DefaultMaxTextBytes+1)},
			tts.ErrTextTooLong},
		{"unsupported language", tts.Request{Text: "hi", Language: "tlh"},
			tts.ErrUnsupportedLanguage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Synthesize(testContext(t), tt.req); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	if n := srv.Count(); n != 0 {
		t.Fatalf("got %d requests, want none", n)
	}
}

// TestSynthesizeFailures covers failures before any audio: which are
// tried once more, and what the error says.
func TestSynthesizeFailures(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		scripts  []ttstest.Script
		want     error
		wantText string
		requests int
	}{
		{"401 is not retried", "secret", nil, ErrUnauthorized, "Incorrect API key", 1},
		{"403 is not retried", "", []ttstest.Script{ttstest.Fail(403, "forbidden")},
			ErrUnauthorized, "forbidden", 1},
		{"400 keeps the message", "", []ttstest.Script{ttstest.Fail(400,
			"Input text too long")}, nil, "Input text too long", 1},
		{"400 on the voice field", "", []ttstest.Script{{Status: 400, ErrorParam: "voice",
			ErrorMessage: "Invalid speaker 'bob'"}}, tts.ErrUnknownVoice, "Invalid speaker", 1},
		{"404 for a wrong model", "", []ttstest.Script{ttstest.Fail(404,
			"The model `x` does not exist.")}, nil, "does not exist", 1},
		{"503 twice", "", []ttstest.Script{ttstest.Fail(503, "overloaded"),
			ttstest.Fail(503, "still overloaded")}, nil, "still overloaded", 2},
		{"500 then audio", "", []ttstest.Script{ttstest.Fail(500, "oops"), {}}, nil, "", 2},
		{"429 then audio", "", []ttstest.Script{ttstest.Fail(429, "slow down"), {}}, nil, "", 2},
		{"cut before any audio, then audio", "", []ttstest.Script{{DisconnectAfter: -1}, {}},
			nil, "", 2},
		{"sse error before any audio is not retried", "", []ttstest.Script{{Format: ttstest.SSE,
			ErrorAfter: -1, ErrorMessage: "CUDA out of memory"}}, nil, "CUDA out of memory", 1},
		{"mp3 instead of pcm", "", []ttstest.Script{{ContentType: "audio/mpeg"}},
			ErrBadResponse, "audio/mpeg", 1},
		{"json instead of audio", "", []ttstest.Script{{ContentType: "application/json",
			PCM: []int16{}}}, ErrBadResponse, "json instead of audio", 1},
		{"slow first byte", "", []ttstest.Script{{FirstByteDelay: time.Minute}},
			ErrFirstByteTimeout, "first-byte timeout", 1},
		{"slow error", "", []ttstest.Script{{Status: 503, FirstByteDelay: time.Minute}},
			ErrFirstByteTimeout, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := newServer(t, func(c *Config) { c.FirstByteTimeout = 200 * time.Millisecond })
			srv.RequireKey(tt.key)
			srv.Enqueue(tt.scripts...)
			st, err := s.Synthesize(testContext(t), tts.Request{Text: hello})
			if st != nil {
				st.Close()
			}

			wantErr := tt.want != nil || tt.wantText != ""
			switch {
			case wantErr && err == nil:
				t.Fatal("got no error")
			case !wantErr && err != nil:
				t.Fatalf("got %v, want audio", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("got %v, want %v", err, tt.want)
			case err != nil && !strings.Contains(err.Error(), tt.wantText):
				t.Fatalf("got %q, want the upstream message %q", err, tt.wantText)
			}
			if got := srv.Count(); got != tt.requests {
				t.Fatalf("got %d requests, want %d", got, tt.requests)
			}
		})
	}
}

func TestSynthesizeUpstreamError(t *testing.T) {
	srv, s := newServer(t, nil)
	srv.Enqueue(ttstest.Script{Status: 400, ErrorType: "BadRequestError",
		ErrorMessage: "speed must be 1.0 when streaming"})
	_, err := s.Synthesize(testContext(t), tts.Request{Text: hello})
	ue, ok := errors.AsType[*UpstreamError](err)
	if !ok {
		t.Fatalf("got %v, want an *UpstreamError", err)
	}
	want := UpstreamError{Status: 400, Type: "BadRequestError", Code: "400",
		Message: "speed must be 1.0 when streaming"}
	if *ue != want {
		t.Fatalf("got %+v, want %+v", *ue, want)
	}
	if ue.Retryable() {
		t.Fatal("got retryable, want not")
	}
}

// TestSynthesizeRefused checks that a refused connection is tried twice
// and reported as such.
func TestSynthesizeRefused(t *testing.T) {
	srv, _ := newServer(t, nil)
	srv.Refuse()
	var dials atomic.Int32
	transport := &http.Transport{DialContext: func(ctx context.Context, network,
		addr string,
	) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	defer transport.CloseIdleConnections()
	s, err := New(Config{URL: srv.URL, HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		t.Fatal(err)
	}
	s.pause = time.Millisecond

	_, err = s.Synthesize(testContext(t), tts.Request{Text: hello})
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("got %v, want %v", err, syscall.ECONNREFUSED)
	}
	if got := dials.Load(); got != 2 {
		t.Fatalf("got %d connection attempts, want 2", got)
	}
}

// TestReadFailsAfterAudio checks that a reply that breaks off or fails
// after some audio is never taken for a complete one: Read hands on the
// audio that came, then the error.
func TestReadFailsAfterAudio(t *testing.T) {
	speech := ttstest.SpeechFor(hello)
	tests := []struct {
		name     string
		script   ttstest.Script
		want     error
		wantText string
		samples  int // read before the error
	}{
		{"raw pcm cut", ttstest.Script{Format: ttstest.PCM, DisconnectAfter: 3}, ErrInterrupted,
			"", 3 * 480},
		{"raw pcm cut inside a sample", ttstest.Script{Format: ttstest.PCM, ChunkBytes: 961,
			DisconnectAfter: 2}, ErrInterrupted, "", 961},
		{"wav cut", ttstest.Script{Format: ttstest.WAV, DisconnectAfter: 2}, ErrInterrupted, "",
			2 * 480},
		{"sse cut", ttstest.Script{Format: ttstest.SSE, DisconnectAfter: 4}, ErrInterrupted, "",
			4 * 480},
		{"sse without speech.audio.done", ttstest.Script{Format: ttstest.SSE, OmitDone: true},
			ErrInterrupted, "speech.audio.done", len(speech)},
		{"sse error event", ttstest.Script{Format: ttstest.SSE, ErrorAfter: 2,
			ErrorMessage: "engine died"}, nil, "engine died", 2 * 480},
		{"sse malformed json", ttstest.Script{Format: ttstest.SSE,
			RawEvents: []string{`{"type":"speech.audio.delta","audio":`}}, ErrBadResponse, "",
			len(speech)},
		{"sse bad base64", ttstest.Script{Format: ttstest.SSE,
			RawEvents: []string{`{"type":"speech.audio.delta","audio":"!!not base64"}`}},
			ErrBadResponse, "base64", len(speech)},
		{"sse bare error object", ttstest.Script{Format: ttstest.SSE,
			RawEvents: []string{`{"error":{"message":"boom","type":"InternalServerError"}}`}},
			nil, "boom", len(speech)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := newServer(t, nil)
			srv.Enqueue(tt.script)
			st, err := s.Synthesize(testContext(t), tts.Request{Text: hello})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()

			got, err := readAll(st, 333)
			switch {
			case err == nil:
				t.Fatalf("got the end after %d samples, want an error", len(got))
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("got %v, want %v", err, tt.want)
			case !strings.Contains(err.Error(), tt.wantText):
				t.Fatalf("got %q, want it to say %q", err, tt.wantText)
			}
			samePCM(t, got, speech[:tt.samples])
			if _, err2 := st.Read(make([]int16, 10)); err2 == nil || errors.Is(err2, io.EOF) {
				t.Fatalf("Read after the error: got %v, want the error again", err2)
			}
		})
	}
}
