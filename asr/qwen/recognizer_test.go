package qwen

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/asr/asrtest"
)

// newRecognizer returns a recognizer, closed when the test ends.
func newRecognizer(t *testing.T, cfg Config) *Recognizer {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// speech returns n samples of a ramp, standing in for speech.
func speech(n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(i%2000 - 1000)
	}
	return pcm
}

// talk writes d of audio in 20 ms frames.
func talk(t *testing.T, s asr.Session, d time.Duration) {
	t.Helper()
	frames := int(d / (20 * time.Millisecond))
	for range frames {
		if err := s.Write(speech(320)); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
}

// partials collects OnPartial calls.
type partials struct {
	mu   sync.Mutex
	got  []string
	seen chan string
}

func newPartials() *partials { return &partials{seen: make(chan string, 1000)} }

func (p *partials) add(s string) {
	p.mu.Lock()
	p.got = append(p.got, s)
	p.mu.Unlock()
	p.seen <- s
}

func (p *partials) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

// checkOrder checks that a session opened with session.update and a
// commit, then sent its audio and the final commit.
func checkOrder(t *testing.T, rec asrtest.Session, samples int) {
	t.Helper()
	ev := rec.Events
	ok := len(ev) >= 3 && ev[0] == "session.update" && ev[1] == "input_audio_buffer.commit" &&
		ev[len(ev)-1] == asrtest.EventFinalCommit
	for _, e := range ev[2 : len(ev)-1] {
		ok = ok && e == "input_audio_buffer.append"
	}
	if !ok {
		t.Errorf("got events %q, want update, commit, appends, final commit", ev)
	}
	if rec.Samples != samples || len(rec.Violations) != 0 {
		t.Errorf("got %d samples, violations %q; want %d, none", rec.Samples, rec.Violations, samples)
	}
}

func TestRealtime(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	srv.RequireKey("sk-1")
	srv.EnqueueRealtime(asrtest.Script{Text: "What are your opening hours?"})
	r := newRecognizer(t, Config{URL: srv.URL, APIKey: "sk-1"})
	p := newPartials()

	s, err := r.Start(context.Background(), asr.Options{Language: "en-GB", Prompt: "Ask away.",
		Hotwords: []string{"Acme"}, OnPartial: p.add})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s.Close()
	talk(t, s, 2*time.Second)
	res, err := s.Finish(context.Background())
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}

	want := asr.Result{Text: "What are your opening hours?", Language: "English",
		Audio: 2 * time.Second, Backend: BackendRealtime}
	if res != want {
		t.Errorf("got %+v, want %+v", res, want)
	}
	got := p.list()
	if len(got) == 0 || got[len(got)-1] != want.Text {
		t.Errorf("got partials %q, want them to end with the transcript", got)
	}
	for _, s := range got {
		if strings.Contains(s, "<") || strings.Contains(s, "language") {
			t.Errorf("got partial %q, want no prefix", s)
		}
	}
	rec := srv.Sessions()[0]
	checkOrder(t, rec, 32000)
	if rec.Model != DefaultModel || rec.Language != "en" || rec.Prompt != "Ask away.\nAcme" ||
		rec.Header.Get("Authorization") != "Bearer sk-1" {
		t.Errorf("got session %+v", rec)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("got %d REST requests, want 0", n)
	}
}

func TestRealtimeSegments(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	srv.EnqueueRealtime(asrtest.Script{Segments: []string{"First part.", "Second part."}})
	r := newRecognizer(t, Config{URL: srv.URL + "/v1/"})
	p := newPartials()
	s, err := r.Start(context.Background(), asr.Options{OnPartial: p.add})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s.Close()

	talk(t, s, 6*time.Second)
	deadline := time.After(5 * time.Second)
	for first := ""; first != "First part."; {
		select {
		case first = <-p.seen:
		case <-deadline:
			t.Fatalf("got partials %q before Finish, want the first segment", p.list())
		}
	}
	res, err := s.Finish(context.Background())
	if err != nil || res.Text != "First part. Second part." || res.Language != "English" {
		t.Errorf("got %+v, %v; want both segments without their prefixes", res, err)
	}
	checkOrder(t, srv.Sessions()[0], 6*16000)
}

func TestRealtimeEmptyAudio(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	r := newRecognizer(t, Config{URL: srv.URL})
	s, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s.Close()
	res, err := s.Finish(context.Background())
	want := asr.Result{Backend: BackendRealtime}
	if err != nil || res != want {
		t.Errorf("got %+v, %v; want %+v", res, err, want)
	}
	rec := srv.Sessions()[0]
	wantEvents := []string{"session.update", "input_audio_buffer.commit", asrtest.EventFinalCommit}
	if !slices.Equal(rec.Events, wantEvents) {
		t.Errorf("got events %q, want %q", rec.Events, wantEvents)
	}
}

func TestConcurrentSessions(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	srv.EnqueueRealtime(asrtest.Script{Drop: true, DropAfterDeltas: 2}, asrtest.Script{Hang: true})
	r := newRecognizer(t, Config{URL: srv.URL, Timeout: 2 * time.Second})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			s, err := r.Start(context.Background(), asr.Options{})
			if err != nil {
				t.Errorf("Start: %v", err)
				return
			}
			defer s.Close()
			for range 50 {
				s.Write(speech(320))
			}
			if res, err := s.Finish(context.Background()); err != nil || res.Text != "Hello." {
				t.Errorf("got %+v, %v; want Hello.", res, err)
			}
		})
	}
	wg.Wait()
}

func TestNew(t *testing.T) {
	for _, cfg := range []Config{{}, {URL: "gpu:8000"}, {URL: "ftp://gpu"}} {
		if _, err := New(cfg); !errors.Is(err, asr.ErrBadConfig) {
			t.Errorf("New(%+v) = %v, want ErrBadConfig", cfg, err)
		}
	}
}

func TestStartCanceled(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	srv.EnqueueRealtime(asrtest.Script{Delay: 10 * time.Second})
	r := newRecognizer(t, Config{URL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if s, err := r.Start(ctx, asr.Options{}); err == nil {
		s.Close()
		t.Errorf("got a session, want the caller's deadline")
	}
}

func TestFallbackLogs(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	srv.EnqueueRealtime(asrtest.Script{Status: 503})
	var logs bytes.Buffer
	r := newRecognizer(t, Config{URL: srv.URL,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s, _ := r.Start(context.Background(), asr.Options{})
	defer s.Close()
	if _, err := s.Finish(context.Background()); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if got := logs.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "status 503") {
		t.Errorf("got log %q, want a warning with the cause", got)
	}
}

func TestRefusedBoth(t *testing.T) {
	asrtest.CheckGoroutines(t)
	r := newRecognizer(t, Config{URL: asrtest.RefusedURL(t)})
	s, err := r.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatalf("Start: %v, want a session that falls back", err)
	}
	defer s.Close()
	s.Write(speech(320))
	_, err = s.Finish(context.Background())
	ue, ok := errors.AsType[*asr.UpstreamError](err)
	if !ok || ue.Backend != BackendREST || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("got %v, want the REST fallback's refused connection", err)
	}
}
