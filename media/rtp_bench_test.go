package media

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// tickRig drives one idle stream by hand: each step files the next
// packet of a peer's tone into the jitter buffer, as the receive
// goroutine would, and runs one tick.
type tickRig struct {
	s       *Stream
	payload []byte
	seq     uint16
	speech  []int16
}

func newTickRig(b *testing.B, cfg StreamConfig) *tickRig {
	b.Helper()
	s := newIdleStream(b, cfg)
	enc, err := NewEncoder(s.codec)
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	pcm := sine(440, FrameDuration)
	if s.codec.SampleRate != PipelineRate {
		r, err := NewResampler(PipelineRate, s.codec.SampleRate)
		if err != nil {
			b.Fatal(err)
		}
		down := make([]int16, SamplesPerFrame(s.codec.SampleRate))
		pcm = down[:r.Resample(down, pcm)]
	}
	payload := make([]byte, PayloadBufferSize)
	n, err := enc.Encode(payload, pcm)
	if err != nil {
		b.Fatal(err)
	}
	return &tickRig{s: s, payload: payload[:n], speech: sine(300, time.Second)}
}

func (r *tickRig) step() {
	if r.s.playout.Pending() < FrameDuration {
		r.s.playout.Enqueue(r.speech)
	}
	r.s.jitter.push(r.seq, uint32(r.seq)*r.s.send.step, 7, r.payload,
		time.Duration(r.seq)*FrameDuration)
	r.seq++
	r.s.tick()
}

// sinkSocket returns the address of a socket that nobody reads: the
// kernel drops what overflows it, as a real peer's network would not.
func sinkSocket(b *testing.B) *net.UDPConn {
	b.Helper()
	c := listenLoopback(b)
	b.Cleanup(func() { c.Close() })
	return c
}

func benchTick(b *testing.B, cfg StreamConfig) {
	b.Helper()
	r := newTickRig(b, cfg)
	for range 10 { // past the jitter buffer's delay and first growth
		r.step()
	}
	b.ReportAllocs()
	for b.Loop() {
		r.step()
	}
	b.ReportMetric(float64(r.s.Stats().PacketsOut)/float64(b.N+10), "sent/op")
}

// BenchmarkTickPCMU is one stream's whole per-frame work: jitter pop,
// G.711 decode, 8 to 16 kHz, OnAudio, playout read, 16 to 8 kHz, encode,
// RTP header, and with "send" the socket write, with "record" also the
// WAV recorder, with "srtp" also SRTP.
func BenchmarkTickPCMU(b *testing.B) {
	discard := func([]int16) {}
	b.Run("nosend", func(b *testing.B) {
		benchTick(b, StreamConfig{Codec: PCMU, OnAudio: discard})
	})
	b.Run("send", func(b *testing.B) {
		benchTick(b, StreamConfig{Codec: PCMU, OnAudio: discard,
			Remote: addrOf(sinkSocket(b))})
	})
	b.Run("send+srtp", func(b *testing.B) {
		benchTick(b, StreamConfig{Codec: PCMU, OnAudio: discard,
			Remote: addrOf(sinkSocket(b)),
			SRTP: &SRTPConfig{Profile: SRTPAES128SHA1_80, LocalKey: mustKey(b),
				RemoteKey: mustKey(b)}})
	})
	b.Run("send+record", func(b *testing.B) {
		rec, err := CreateRecorder(filepath.Join(b.TempDir(), "call.wav"))
		if err != nil {
			b.Fatal(err)
		}
		defer rec.Close()
		benchTick(b, StreamConfig{Codec: PCMU, OnAudio: discard,
			Remote: addrOf(sinkSocket(b)), Recorder: rec})
	})
}

// BenchmarkTickCodecs is the same per-frame work, without the socket,
// for the wideband codecs.
func BenchmarkTickCodecs(b *testing.B) {
	for _, c := range []Codec{PCMA, G722, Opus} {
		b.Run(c.Name, func(b *testing.B) {
			benchTick(b, StreamConfig{Codec: c, OnAudio: func([]int16) {}})
		})
	}
}

// BenchmarkStreams ticks many PCMU streams on one clock worker, sockets
// included, and reports how many such streams one core sustains in
// real time (a tick may take FrameDuration). It measures; it asserts
// nothing about speed.
func BenchmarkStreams(b *testing.B) {
	const streams = 200
	sink := sinkSocket(b)
	clock := NewClock(ClockWorkers(1))
	rigs := make([]*tickRig, streams)
	for i := range rigs {
		rigs[i] = newTickRig(b, StreamConfig{Codec: PCMU, Remote: addrOf(sink),
			Clock: clock, OnAudio: func([]int16) {}})
	}
	run := func() {
		for _, r := range rigs {
			if r.s.playout.Pending() < FrameDuration {
				r.s.playout.Enqueue(r.speech)
			}
			r.s.jitter.push(r.seq, uint32(r.seq)*160, 7, r.payload,
				time.Duration(r.seq)*FrameDuration)
			r.seq++
		}
		clock.shards[0].tick()
	}
	for _, r := range rigs {
		clock.add(r.s)
	}
	for range 10 {
		run()
	}
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
	perStream := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / streams
	b.ReportMetric(perStream, "ns/stream-tick")
	b.ReportMetric(float64(FrameDuration.Nanoseconds())/perStream, "streams/core")
}
