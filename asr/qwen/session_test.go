package qwen

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/asr/asrtest"
)

// Time limits of the fault tests: short where the fault is a silence, so
// that the test does not wait long; generous elsewhere, so that a loaded
// machine does not fail the test.
const (
	shortTimeout    = 300 * time.Millisecond
	generousTimeout = 5 * time.Second
)

// faults are realtime failures; each must end in the REST fallback, or,
// without it, in the error described.
var faults = []struct {
	name     string
	script   asrtest.Script
	connect  time.Duration // Config.ConnectTimeout, generousTimeout when zero
	timeout  time.Duration // Config.Timeout, generousTimeout when zero
	atStart  bool          // without the fallback, Start fails
	is       []error       // what the error without the fallback matches
	status   int
	code     string
	contains string
}{
	{name: "handshake 503", script: asrtest.Script{Status: 503, Message: "no capacity"},
		atStart: true, status: 503, code: "InternalServerError", contains: "no capacity"},
	{name: "handshake 401", script: asrtest.Script{Status: 401, Message: "Incorrect API key provided."},
		atStart: true, is: []error{asr.ErrUnauthorized}, status: 401, code: "AuthenticationError"},
	{name: "slow session.created", script: asrtest.Script{Delay: 10 * time.Second},
		connect: shortTimeout, atStart: true, is: []error{asr.ErrTimeout}},
	{name: "error event while speaking", script: asrtest.Script{ErrorMessage: "audio is not base64",
		ErrorCode: "invalid_audio", ErrorAfterAppends: 1}, code: "invalid_audio", contains: "audio is not base64"},
	{name: "error event mid-stream", script: asrtest.Script{ErrorMessage: "decoder crashed",
		ErrorCode: "processing_error", ErrorAfterDeltas: 2}, code: "processing_error"},
	{name: "disconnect while speaking", script: asrtest.Script{DropAfterAppends: 1},
		is: []error{asr.ErrDisconnected}},
	{name: "disconnect mid-stream", script: asrtest.Script{Drop: true, DropAfterDeltas: 3},
		is: []error{asr.ErrDisconnected}},
	{name: "malformed JSON", script: asrtest.Script{Malformed: true}, is: []error{asr.ErrBadResponse}},
	{name: "oversized message", script: asrtest.Script{Oversize: 2 << 20}, is: []error{asr.ErrBadResponse}},
	{name: "no transcript", script: asrtest.Script{Hang: true}, timeout: time.Second,
		is: []error{asr.ErrTimeout}},
}

// faultConfig returns the configuration of a fault test.
func faultConfig(url string, connect, timeout time.Duration) Config {
	return Config{URL: url, ConnectTimeout: cmp.Or(connect, generousTimeout),
		Timeout: cmp.Or(timeout, generousTimeout)}
}

func TestFallback(t *testing.T) {
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			asrtest.CheckGoroutines(t)
			srv := asrtest.NewServer(t)
			srv.EnqueueRealtime(tt.script)
			cfg := faultConfig(srv.URL, tt.connect, tt.timeout)
			cfg.Language = "en"
			r := newRecognizer(t, cfg)
			p := newPartials()
			s, err := r.Start(context.Background(), asr.Options{OnPartial: p.add})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer s.Close()
			talk(t, s, time.Second)

			res, err := s.Finish(context.Background())
			want := asr.Result{Text: "Hello.", Language: "English", Audio: time.Second, Backend: BackendREST}
			if err != nil || res != want {
				t.Errorf("got %+v, %v; want %+v", res, err, want)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].Samples != 16000 || reqs[0].Fields["to_language"] != "en" {
				t.Errorf("got REST requests %+v, want one with all 16000 samples", reqs)
			}
			for _, s := range p.list() {
				if s != "" && s != "Hello." {
					t.Errorf("got partial %q", s)
				}
			}
		})
	}
}

func TestNoFallback(t *testing.T) {
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			asrtest.CheckGoroutines(t)
			srv := asrtest.NewServer(t)
			srv.EnqueueRealtime(tt.script)
			cfg := faultConfig(srv.URL, tt.connect, tt.timeout)
			cfg.NoFallback = true
			r := newRecognizer(t, cfg)

			start := time.Now()
			s, err := r.Start(context.Background(), asr.Options{})
			if err == nil {
				defer s.Close()
				talk(t, s, time.Second)
				_, err = s.Finish(context.Background())
			}
			if took := time.Since(start); took > 4*time.Second {
				t.Errorf("took %s, want a prompt failure", took)
			}
			if (s == nil) != tt.atStart {
				t.Errorf("got Start error %v, want one: %v", err, tt.atStart)
			}
			ue, ok := errors.AsType[*asr.UpstreamError](err)
			if !ok {
				t.Fatalf("got %v, want an *asr.UpstreamError", err)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("got %v, want it to match %v", err, target)
				}
			}
			if ue.Backend != BackendRealtime || ue.Status != tt.status || ue.Code != tt.code ||
				!strings.Contains(err.Error(), tt.contains) {
				t.Errorf("got %+v, want backend %s status %d code %q holding %q", ue, BackendRealtime,
					tt.status, tt.code, tt.contains)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("got %d REST requests, want none", n)
			}
		})
	}
}

func TestWriteNeverBlocks(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	srv.EnqueueRealtime(asrtest.Script{Stall: true})
	r := newRecognizer(t, Config{URL: srv.URL, Timeout: 3 * time.Second})
	s, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s.Close()

	// Five minutes of audio is over 12 MB of events, more than loopback
	// socket buffers hold, so the session's sender is stuck on the network.
	wrote := make(chan error, 1)
	go func() {
		for range 300 {
			if err := s.Write(speech(16000)); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Write blocked on a server that does not read")
	}

	res, err := s.Finish(context.Background())
	if err != nil || res.Backend != BackendREST || res.Audio != 5*time.Minute {
		t.Errorf("got %+v, %v; want 5 minutes over REST", res, err)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Samples != 300*16000 {
		t.Errorf("got REST requests %+v, want all the audio", reqs)
	}
}

func TestRefusedThenBack(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	r := newRecognizer(t, Config{URL: srv.URL})
	srv.Refuse()
	s, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatalf("Start: %v, want a session that falls back", err)
	}
	defer s.Close()
	talk(t, s, time.Second)
	srv.Resume()
	res, err := s.Finish(context.Background())
	if err != nil || res.Backend != BackendREST || res.Text != "Hello." {
		t.Errorf("got %+v, %v; want Hello. over REST", res, err)
	}
	if n := len(srv.Sessions()); n != 0 {
		t.Errorf("got %d realtime sessions, want 0", n)
	}
}

func TestUnauthorized(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	srv.RequireKey("right")
	r := newRecognizer(t, Config{URL: srv.URL, APIKey: "wrong"})
	s, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s.Close()
	_, err = s.Finish(context.Background())
	if !errors.Is(err, asr.ErrUnauthorized) {
		t.Errorf("got %v, want ErrUnauthorized", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("got %d REST requests, want 1 (a 401 is not retried)", n)
	}
}

func TestSessionLifecycle(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	r := newRecognizer(t, Config{URL: srv.URL, MaxAudio: time.Second})
	s, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	talk(t, s, time.Second)
	if err := s.Write(speech(1)); !errors.Is(err, asr.ErrAudioTooLong) {
		t.Errorf("got %v past MaxAudio, want ErrAudioTooLong", err)
	}
	if _, err := s.Finish(context.Background()); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if err := s.Write(speech(1)); !errors.Is(err, asr.ErrFinished) {
		t.Errorf("got Write %v after Finish, want ErrFinished", err)
	}
	if _, err := s.Finish(context.Background()); !errors.Is(err, asr.ErrFinished) {
		t.Errorf("got Finish %v twice, want ErrFinished", err)
	}
	for range 2 {
		if err := s.Close(); err != nil {
			t.Errorf("got Close %v, want nil", err)
		}
	}
	if err := s.Write(speech(1)); !errors.Is(err, asr.ErrClosed) {
		t.Errorf("got Write %v after Close, want ErrClosed", err)
	}
}

func TestCloseWithoutFinish(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	r := newRecognizer(t, Config{URL: srv.URL})
	s, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	talk(t, s, time.Second)
	s.Close()
	if _, err := s.Finish(context.Background()); !errors.Is(err, asr.ErrClosed) {
		t.Errorf("got Finish %v after Close, want ErrClosed", err)
	}
}

func TestCloseInterruptsFinish(t *testing.T) {
	tests := []struct {
		name   string
		script asrtest.Script
	}{
		{"realtime", asrtest.Script{Hang: true}},
		{"rest fallback", asrtest.Script{Status: 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asrtest.CheckGoroutines(t)
			srv := asrtest.NewServer(t)
			srv.EnqueueRealtime(tt.script)
			srv.EnqueueREST(asrtest.Script{Hang: true})
			r := newRecognizer(t, Config{URL: srv.URL})
			s, err := r.Start(context.Background(), asr.Options{})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			time.AfterFunc(200*time.Millisecond, func() { s.Close() })
			if _, err := s.Finish(context.Background()); !errors.Is(err, asr.ErrClosed) {
				t.Errorf("got %v, want ErrClosed", err)
			}
		})
	}
}

func TestFinishCanceled(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	srv.EnqueueRealtime(asrtest.Script{Hang: true})
	r := newRecognizer(t, Config{URL: srv.URL})
	s, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Finish(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the caller's deadline", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("got %d REST requests, want none after the caller gave up", n)
	}
}

func TestRetryableCause(t *testing.T) {
	asrtest.CheckGoroutines(t)
	r := newRecognizer(t, Config{URL: asrtest.RefusedURL(t), NoFallback: true})
	_, err := r.Start(context.Background(), asr.Options{})
	ue, ok := errors.AsType[*asr.UpstreamError](err)
	if !ok || !ue.Retryable() || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("got %v, want a retryable refused connection", err)
	}
}

// BenchmarkWrite measures Write of a 20 ms frame into a live session.
func BenchmarkWrite(b *testing.B) {
	srv := asrtest.NewServer(b)
	r, _ := New(Config{URL: srv.URL, MaxAudio: 100 * time.Hour})
	defer r.Close()
	s, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	frame := speech(320)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Write(frame); err != nil {
			b.Fatal(err)
		}
	}
}
