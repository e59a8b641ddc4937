package sip

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/sip/siptest"
)

func TestOptions(t *testing.T) {
	s := startServer(t, testConfig(t, newTestHandler()))
	p := newPhone(t, siptest.Config{})
	res, err := p.Options(testContext(t), s.Addr().UDP)
	if err != nil {
		t.Fatalf("options: %v", err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("options: got %d, want 200", res.StatusCode)
	}
	for _, h := range []string{"Allow", "Accept", "Supported"} {
		if res.GetHeader(h) == nil {
			t.Errorf("options: no %s header", h)
		}
	}
}

func TestCallEndToEnd(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) { testCallEndToEnd(t, transport) })
	}
}

func testCallEndToEnd(t *testing.T, transport string) {
	base := takeBaseline()
	h := newTestHandler()
	heard := make(chan int, 1000)
	h.onServe = func(ctx context.Context, c *Call) {
		c.SetAudioSink(func(pcm []int16) {
			if n := loud(pcm); n > 0 {
				select {
				case heard <- n:
				default:
				}
			}
		})
		c.Playout().Enqueue(tone(440, media.PipelineRate, 2*time.Second))
		<-ctx.Done()
	}
	cfg := testConfig(t, h)
	s := startServer(t, cfg)
	p := newPhone(t, siptest.Config{Transport: transport})
	ctx := testContext(t)

	target := s.Addr().UDP
	if transport == "tcp" {
		target = s.Addr().TCP
	}
	call, err := p.Dial(ctx, target, siptest.DialOptions{User: "123"})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := <-h.calls
	if got, want := c.Route(), (Route{Tenant: "demo", Agent: "main"}); got != want {
		t.Errorf("route: got %+v, want %+v", got, want)
	}
	if got := c.Codec().Name; got != "PCMU" {
		t.Errorf("codec: got %s, want PCMU", got)
	}
	go call.Play(ctx, tone(300, 8000, 2*time.Second))

	select {
	case <-heard:
	case <-ctx.Done():
		t.Fatal("the handler heard nothing of the caller")
	}
	eventually(t, 5*time.Second, "the caller hears the agent", func() bool {
		return loud(call.Received()) > 800
	})
	if err := call.Hangup(ctx); err != nil {
		t.Fatalf("bye: %v", err)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("call did not end after bye")
	}
	info, err := os.Stat(filepath.Join(cfg.RecordingsDir, c.RecordingPath()))
	if err != nil || info.Size() <= 44 {
		t.Errorf("recording %q: got %v size %d, want a wav with audio", c.RecordingPath(), err,
			sizeOf(info))
	}
	if err := c.Hangup(ctx); !errors.Is(err, ErrCallEnded) {
		t.Errorf("hangup after bye: got %v, want ErrCallEnded", err)
	}
	p.Close()
	s.Close()
	base.check(t)
}

func sizeOf(info os.FileInfo) int64 {
	if info == nil {
		return 0
	}
	return info.Size()
}

func TestSRTPCall(t *testing.T) {
	h := newTestHandler()
	heard := make(chan struct{}, 1)
	h.onServe = func(ctx context.Context, c *Call) {
		c.SetAudioSink(func(pcm []int16) {
			if loud(pcm) > 0 {
				select {
				case heard <- struct{}{}:
				default:
				}
			}
		})
		c.Playout().Enqueue(tone(440, media.PipelineRate, 2*time.Second))
		<-ctx.Done()
	}
	_, _, call, c := answered(t, testConfig(t, h), h, siptest.DialOptions{SRTP: true})
	ctx := testContext(t)
	if !strings.Contains(string(call.Answer().Body()), "RTP/SAVP") {
		t.Fatalf("answer is not RTP/SAVP:\n%s", call.Answer().Body())
	}
	go call.Play(ctx, tone(300, 8000, 2*time.Second))
	select {
	case <-heard:
	case <-ctx.Done():
		t.Fatal("the handler heard nothing over srtp")
	}
	eventually(t, 5*time.Second, "the caller hears the agent over srtp", func() bool {
		return loud(call.Received()) > 800
	})
	if err := c.Hangup(ctx); err != nil {
		t.Errorf("hangup: %v", err)
	}
}

func TestDelayedOffer(t *testing.T) {
	h := newTestHandler()
	h.onServe = func(ctx context.Context, c *Call) {
		c.Playout().Enqueue(tone(440, media.PipelineRate, 2*time.Second))
		<-ctx.Done()
	}
	_, _, call, c := answered(t, testConfig(t, h), h, siptest.DialOptions{NoOffer: true})
	ctx := testContext(t)
	if got := c.Codec().Name; got != "PCMU" {
		t.Errorf("codec from the ack's answer: got %q, want PCMU", got)
	}
	eventually(t, 5*time.Second, "the caller hears the agent", func() bool {
		return loud(call.Received()) > 800
	})
	if err := call.SendDTMF(ctx, '3'); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-c.DTMF():
		if d != '3' {
			t.Errorf("digit: got %q, want '3'", d)
		}
	case <-ctx.Done():
		t.Error("no digit after a delayed offer")
	}
}

func TestLostAck(t *testing.T) {
	h := newTestHandler()
	cfg := testConfig(t, h)
	s := startServer(t, cfg)
	s.t1, s.t2 = 10*time.Millisecond, 40*time.Millisecond
	p := newPhone(t, siptest.Config{})
	ctx := testContext(t)
	call, err := p.Dial(ctx, s.Addr().UDP, siptest.DialOptions{User: "123", NoAck: true})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer call.Close()
	c := <-h.calls
	select {
	case <-call.Ended():
	case <-ctx.Done():
		t.Fatal("no bye after 64*T1 without ack")
	}
	<-c.Done()
	if _, err := os.Stat(filepath.Join(cfg.RecordingsDir, c.RecordingPath())); err != nil {
		t.Errorf("recording of a call whose ack was lost: %v", err)
	}
}
