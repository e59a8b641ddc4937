package qwen

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voiced/voiced/tts"
	"github.com/voiced/voiced/tts/ttstest"
)

// newWSServer starts a fake server and a WSSynthesizer for it.
func newWSServer(t *testing.T, edit func(*Config)) (*ttstest.Server, *WSSynthesizer) {
	t.Helper()
	checkGoroutines(t)
	srv := ttstest.NewServer(t)
	cfg := Config{URL: srv.URL, FirstByteTimeout: 2 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	s, err := NewWS(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.pause = time.Millisecond
	return srv, s
}

// TestTextStream writes an answer in pieces, as a language model makes
// it, and checks that the first sentence is heard before the text ends.
func TestTextStream(t *testing.T) {
	srv, s := newWSServer(t, func(c *Config) { c.TextSplit = "sentence"; c.APIKey = "k" })
	srv.RequireKey("k")
	ts, err := s.StartTextStream(testContext(t), tts.Request{Text: "Hello the",
		Language: "fr-CA", Voice: "Serena"})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	for _, piece := range []string{"", "re. How are", " you\ntoday?", " Fine"} {
		if err := ts.WriteText(piece); err != nil {
			t.Fatal(err)
		}
	}

	first := ttstest.SpeechFor("Hello there.")
	got, err := readN(ts, len(first))
	if err != nil {
		t.Fatal(err)
	}
	samePCM(t, got, first)
	if err := ts.CloseText(); err != nil {
		t.Fatal(err)
	}
	rest, err := readAll(ts, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Concat(ttstest.SpeechFor("How are you today?"), ttstest.SpeechFor("Fine"))
	samePCM(t, rest, want)
	if got := ts.SampleRate(); got != 24000 {
		t.Fatalf("got %d Hz, want 24000", got)
	}

	if err := ts.WriteText("more"); !errors.Is(err, tts.ErrTextClosed) {
		t.Fatalf("WriteText after CloseText: got %v, want %v", err, tts.ErrTextClosed)
	}
	if err := ts.CloseText(); err != nil {
		t.Fatalf("second CloseText: %v", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d sessions, want 1", len(reqs))
	}
	r := reqs[0]
	wantConfig := `{"language":"French","response_format":"pcm","split_granularity":"sentence",` +
		`"stream_audio":true,"type":"session.config","voice":"serena"}`
	if string(r.Body) != wantConfig {
		t.Fatalf("got session.config\n%s\nwant\n%s", r.Body, wantConfig)
	}
	wantTexts := []string{"Hello the", "re. How are", " you today?", " Fine"}
	if !slices.Equal(r.Texts, wantTexts) {
		t.Fatalf("got texts %q, want %q", r.Texts, wantTexts)
	}
	if len(r.Messages) < 5 || r.Messages[4] != `{"type":"input.done"}` {
		t.Fatalf("got messages %q, want input.done after the texts", r.Messages)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer k" {
		t.Fatalf("got Authorization %q, want the bearer key", got)
	}
}

// readN reads exactly n samples.
func readN(st tts.Stream, n int) ([]int16, error) {
	out := make([]int16, 0, n)
	for len(out) < n {
		k, err := st.Read(out[len(out):n])
		out = out[:len(out)+k]
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func TestWSSynthesize(t *testing.T) {
	srv, s := newWSServer(t, func(c *Config) { c.Model = "Qwen/Qwen3-TTS"; c.Instructions = "Calm." })
	srv.Enqueue(ttstest.Script{ChunkBytes: 777})
	st, err := s.Synthesize(testContext(t), tts.Request{Text: "One. Two."})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := readAll(st, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Without split_granularity the server speaks the whole text at once.
	samePCM(t, got, ttstest.SpeechFor("One. Two."))

	r := srv.Requests()[0]
	want := `{"instructions":"Calm.","language":"Auto","model":"Qwen/Qwen3-TTS",` +
		`"response_format":"pcm","stream_audio":true,"type":"session.config","voice":"vivian"}`
	if string(r.Body) != want {
		t.Fatalf("got session.config\n%s\nwant\n%s", r.Body, want)
	}
	wantMsgs := []string{`{"text":"One. Two.","type":"input.text"}`, `{"type":"input.done"}`}
	if !slices.Equal(r.Messages[:2], wantMsgs) {
		t.Fatalf("got messages %q, want %q first", r.Messages, wantMsgs)
	}
}

func TestWSStartFailures(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		scripts  []ttstest.Script
		want     error
		wantText string
		sessions int
	}{
		{"401 is not retried", "secret", nil, ErrUnauthorized, "Incorrect API key", 1},
		{"503 twice", "", []ttstest.Script{ttstest.Fail(503, "busy"), ttstest.Fail(503, "busier")},
			nil, "busier", 2},
		{"502 then a session", "", []ttstest.Script{ttstest.Fail(502, "bad gateway"), {}}, nil,
			"", 2},
		{"slow handshake", "", []ttstest.Script{{FirstByteDelay: time.Minute}},
			ErrFirstByteTimeout, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := newWSServer(t, func(c *Config) { c.FirstByteTimeout = 200 * time.Millisecond })
			srv.RequireKey(tt.key)
			srv.Enqueue(tt.scripts...)
			ts, err := s.StartTextStream(testContext(t), tts.Request{})
			if ts != nil {
				ts.Close()
			}
			wantErr := tt.want != nil || tt.wantText != ""
			switch {
			case wantErr && err == nil:
				t.Fatal("got no error")
			case !wantErr && err != nil:
				t.Fatalf("got %v, want a session", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("got %v, want %v", err, tt.want)
			case err != nil && !strings.Contains(err.Error(), tt.wantText):
				t.Fatalf("got %q, want the upstream message %q", err, tt.wantText)
			}
			if got := srv.Count(); got != tt.sessions {
				t.Fatalf("got %d handshakes, want %d", got, tt.sessions)
			}
		})
	}
}

func TestWSRefused(t *testing.T) {
	srv, s := newWSServer(t, nil)
	srv.Refuse()
	if _, err := s.StartTextStream(testContext(t), tts.Request{}); err == nil ||
		!strings.Contains(err.Error(), "refused") {
		t.Fatalf("got %v, want a refused connection", err)
	}
}

// TestWSReadFails checks failures during a session: Read hands on the
// audio that came, then the error; the server's message is kept.
func TestWSReadFails(t *testing.T) {
	speech := ttstest.SpeechFor("One. Two.")
	tests := []struct {
		name     string
		script   ttstest.Script
		timeout  time.Duration
		want     error
		wantText string
		samples  int
	}{
		{"error message for the config", ttstest.Script{ErrorAfter: -1,
			ErrorMessage: "Invalid session config: voice"}, 0, nil, "voice", 0},
		{"disconnect mid audio", ttstest.Script{DisconnectAfter: 2}, 0, ErrInterrupted, "",
			2 * 480},
		{"another sample rate", ttstest.Script{SampleRate: 16000}, 0, ErrBadResponse, "16000",
			0},
		{"timeout", ttstest.Script{ChunkDelay: time.Minute}, 300 * time.Millisecond, ErrTimeout,
			"", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, s := newWSServer(t, func(c *Config) {
				if tt.timeout > 0 {
					c.Timeout = tt.timeout
				}
			})
			srv.Enqueue(tt.script)
			// A server that fails at once may fail Synthesize's writes
			// already: the error then comes from Synthesize.
			var got []int16
			st, err := s.Synthesize(testContext(t), tts.Request{Text: "One. Two."})
			if err == nil {
				defer st.Close()
				got, err = readAll(st, 100)
			}
			switch {
			case err == nil:
				t.Fatalf("got the end after %d samples, want an error", len(got))
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("got %v, want %v", err, tt.want)
			case !strings.Contains(err.Error(), tt.wantText):
				t.Fatalf("got %q, want it to say %q", err, tt.wantText)
			}
			samePCM(t, got, speech[:tt.samples])
		})
	}
}

// TestWSClose checks barge-in: Close from another goroutine ends a Read
// waiting for audio, and the stream stays closed.
func TestWSClose(t *testing.T) {
	srv, s := newWSServer(t, nil)
	srv.Enqueue(ttstest.Script{ChunkDelay: time.Minute})
	ts, err := s.StartTextStream(testContext(t), tts.Request{Text: "Hello."})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.CloseText(); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, func() { ts.Close() })
	if _, err := readAll(ts, 100); !errors.Is(err, tts.ErrStreamClosed) {
		t.Fatalf("got %v, want %v", err, tts.ErrStreamClosed)
	}
	if err := ts.WriteText("x"); !errors.Is(err, tts.ErrStreamClosed) {
		t.Fatalf("WriteText after Close: got %v, want %v", err, tts.ErrStreamClosed)
	}
	if err := ts.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestWSConcurrent writes text on one goroutine while another reads, as
// the dialog engine does; run it with -race.
func TestWSConcurrent(t *testing.T) {
	srv, s := newWSServer(t, func(c *Config) { c.TextSplit = "sentence" })
	srv.Enqueue(ttstest.Script{ChunkBytes: 100})
	ts, err := s.StartTextStream(testContext(t), tts.Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	words := strings.Fields("This is the first sentence. And a second one! Is there a third?")
	written := make(chan error, 1)
	go func() {
		for _, w := range words {
			if err := ts.WriteText(w + " "); err != nil {
				written <- err
				return
			}
		}
		written <- ts.CloseText()
	}()

	got, err := readAll(ts, 256)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	want := slices.Concat(ttstest.SpeechFor("This is the first sentence."),
		ttstest.SpeechFor("And a second one!"), ttstest.SpeechFor("Is there a third?"))
	samePCM(t, got, want)
}

func TestNewWS(t *testing.T) {
	if _, err := NewWS(Config{URL: "http://h", Server: MLXAudio, Model: "m"}); !errors.Is(err,
		ErrBadConfig) {
		t.Fatalf("mlx-audio: got %v, want %v", err, ErrBadConfig)
	}
	tests := []struct{ url, want string }{
		{"http://h:8091", "ws://h:8091/v1/audio/speech/stream"},
		{"https://h/v1", "wss://h/v1/audio/speech/stream"},
	}
	for _, tt := range tests {
		s, err := NewWS(Config{URL: tt.url})
		if err != nil {
			t.Fatal(err)
		}
		if s.endpoint != tt.want {
			t.Fatalf("%s: got %q, want %q", tt.url, s.endpoint, tt.want)
		}
	}
}

// TestWSReason checks that a write failing before anyone reads is
// explained by the server's error message, when it sent one.
func TestWSReason(t *testing.T) {
	srv, s := newWSServer(t, nil)
	srv.Enqueue(ttstest.Script{ErrorAfter: -1, ErrorMessage: "Invalid speaker 'bob'"})
	ctx := testContext(t)
	conn, err := s.dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ts := newTextStream(ctx, func() {}, s.c, conn)
	defer ts.Close()
	if err := ts.send(map[string]string{"type": "session.config"}); err != nil {
		t.Fatal(err)
	}

	err = ts.reason(fmt.Errorf("%w: broken pipe", ErrInterrupted))
	if ue, ok := errors.AsType[*UpstreamError](err); !ok || ue.Message != "Invalid speaker 'bob'" {
		t.Fatalf("got %v, want the server's message", err)
	}
	other := errors.New("not a transport failure")
	if err := ts.reason(other); err != other {
		t.Fatalf("got %v, want %v unchanged", err, other)
	}
}
