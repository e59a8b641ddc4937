package openai

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/asr/asrtest"
)

func TestSession(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	c := newClient(t, Config{URL: srv.URL, Language: "de"})
	s, err := c.Start(context.Background(), asr.Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s.Close()
	for range 50 {
		if err := s.Write(speech(320)); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if got := len(srv.Requests()); got != 0 {
		t.Errorf("got %d requests before Finish, want 0", got)
	}

	res, err := s.Finish(context.Background())
	if err != nil || res.Text != "Hello." || res.Audio != time.Second || res.Backend != DefaultName {
		t.Errorf("got %+v, %v; want 1 s of Hello. from %s", res, err, DefaultName)
	}
	req := srv.Requests()[0]
	if req.Samples != 16000 || req.Fields["to_language"] != "de" {
		t.Errorf("got %d samples, to_language %q; want 16000, de", req.Samples, req.Fields["to_language"])
	}
	if err := s.Write(speech(1)); !errors.Is(err, asr.ErrFinished) {
		t.Errorf("got Write %v after Finish, want ErrFinished", err)
	}
	if _, err := s.Finish(context.Background()); !errors.Is(err, asr.ErrFinished) {
		t.Errorf("got Finish %v twice, want ErrFinished", err)
	}
	s.Close()
	if err := s.Write(speech(1)); !errors.Is(err, asr.ErrClosed) {
		t.Errorf("got Write %v after Close, want ErrClosed", err)
	}
}

func TestSessionTooLong(t *testing.T) {
	c := newClient(t, Config{URL: "http://127.0.0.1:1", MaxAudio: time.Second})
	s, _ := c.Start(context.Background(), asr.Options{})
	defer s.Close()
	if err := s.Write(speech(16000)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := s.Write(speech(1)); !errors.Is(err, asr.ErrAudioTooLong) {
		t.Errorf("got %v, want ErrAudioTooLong", err)
	}
}

func TestSessionCloseInterruptsFinish(t *testing.T) {
	asrtest.CheckGoroutines(t)
	srv := asrtest.NewServer(t)
	srv.EnqueueREST(asrtest.Script{Hang: true})
	c := newClient(t, Config{URL: srv.URL})
	s, _ := c.Start(context.Background(), asr.Options{})
	s.Write(speech(100))
	time.AfterFunc(100*time.Millisecond, func() { s.Close() })
	if _, err := s.Finish(context.Background()); !errors.Is(err, asr.ErrClosed) {
		t.Errorf("got %v, want ErrClosed", err)
	}
}

// BenchmarkSessionWrite measures Write of a 20 ms frame, over utterances
// of a minute.
func BenchmarkSessionWrite(b *testing.B) {
	const perUtterance = 3000
	c, _ := New(Config{URL: "http://127.0.0.1:1"})
	frame := speech(320)
	var s asr.Session
	n := perUtterance
	b.ReportAllocs()
	for b.Loop() {
		if n == perUtterance {
			if s != nil {
				s.Close()
			}
			s, _ = c.Start(context.Background(), asr.Options{})
			n = 0
		}
		if err := s.Write(frame); err != nil {
			b.Fatal(err)
		}
		n++
	}
	s.Close()
}
