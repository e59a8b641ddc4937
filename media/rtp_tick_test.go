package media

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// encodeTone returns n consecutive 20 ms payloads of a tone in codec c.
func encodeTone(t *testing.T, c Codec, freq float64, n int) [][]byte {
	t.Helper()
	enc, err := NewEncoder(c)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var down *Resampler
	if c.SampleRate != PipelineRate {
		if down, err = NewResampler(PipelineRate, c.SampleRate); err != nil {
			t.Fatal(err)
		}
	}
	tone := sine(freq, time.Duration(n)*FrameDuration)
	frame := SamplesPerFrame(PipelineRate)
	out := make([][]byte, n)
	for i := range out {
		pcm := tone[i*frame : (i+1)*frame]
		if down != nil {
			buf := make([]int16, SamplesPerFrame(c.SampleRate))
			pcm = buf[:down.Resample(buf, pcm)]
		}
		payload := make([]byte, PayloadBufferSize)
		k, err := enc.Encode(payload, pcm)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = payload[:k]
	}
	return out
}

func TestPlayConcealsLoss(t *testing.T) {
	tests := []struct {
		codec Codec
		// minRatio is the lost frame's level against the one before.
		minRatio, maxRatio float64
	}{
		{PCMU, 0.3, 0.7}, // repeated at half level
		{G722, 0.3, 0.7},
		{Opus, 0.5, 2.0}, // rebuilt from the next packet's FEC data
	}
	for _, tt := range tests {
		t.Run(tt.codec.Name, func(t *testing.T) {
			var levels []float64
			s := newIdleStream(t, StreamConfig{Codec: tt.codec,
				OnAudio: func(pcm []int16) { levels = append(levels, rms(pcm)) }})
			payloads := encodeTone(t, tt.codec, 440, 40)
			const lost = 20
			step := s.send.step
			for i, p := range payloads {
				if i != lost {
					s.jitter.push(uint16(i), uint32(i)*step, 1, p, 0)
				}
				if i >= 3 { // keep the target delay of three frames
					s.tick()
				}
			}
			if got := s.Stats().Lost; got != 1 {
				t.Fatalf("lost = %d, want 1", got)
			}
			// The first two ticks buffer; tick k plays frame k-2.
			before, at := levels[lost+1], levels[lost+2]
			if ratio := at / before; ratio < tt.minRatio || ratio > tt.maxRatio {
				t.Errorf("lost frame at %.2f of the level before it, want %.1f-%.1f",
					ratio, tt.minRatio, tt.maxRatio)
			}
		})
	}
}

func TestTickRecordsBothSidesInStep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "call.wav")
	rec, err := CreateRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	frames := 0
	s := newIdleStream(t, StreamConfig{Codec: PCMU, Recorder: rec,
		OnAudio: func([]int16) { frames++ }})
	s.Playout().Enqueue(sine(1000, 200*time.Millisecond))
	payloads := encodeTone(t, PCMU, 440, 10)
	for i := range 30 {
		if i < len(payloads) {
			s.jitter.push(uint16(i), uint32(i)*160, 1, payloads[i], 0)
		}
		s.tick()
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if frames != 30 {
		t.Errorf("OnAudio ran %d times in 30 ticks, want 30", frames)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := ReadWAV(f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.Duration(), 30*FrameDuration; got != want {
		t.Errorf("recording of %v, want %v", got, want)
	}
	left, right := w.Channel(0), w.Channel(1)
	frame := SamplesPerFrame(PipelineRate)
	// The caller's tone starts after the jitter buffer's delay, the agent's
	// at once and for 200 ms.
	checkTone(t, "left", left[3*frame:12*frame], 440)
	checkTone(t, "right", right[:10*frame], 1000)
	if got := rms(right[11*frame:]); got != 0 {
		t.Errorf("right channel after the prompt has level %.0f, want silence", got)
	}
}

// readPackets reads n RTP packets from c.
func readPackets(t *testing.T, c *net.UDPConn, n int) []rtp.Packet {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	pkts := make([]rtp.Packet, n)
	buf := make([]byte, 2048)
	for i := range pkts {
		k, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if err := pkts[i].Unmarshal(append([]byte(nil), buf[:k]...)); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	return pkts
}

func TestSendHeaders(t *testing.T) {
	peer := listenLoopback(t)
	defer peer.Close()
	s := newIdleStream(t, StreamConfig{Codec: PCMU, DTMFPayloadType: 101,
		Remote: addrOf(peer)})

	for range 3 {
		s.tick()
	}
	s.SendDTMF('5')
	for range 10 {
		s.tick()
	}
	s.SetHold(true)
	s.tick()
	s.SetHold(false)
	s.tick()
	pkts := readPackets(t, peer, 14)

	first := pkts[0].Header
	for i, p := range pkts {
		h := p.Header
		if h.SSRC != first.SSRC {
			t.Errorf("packet %d: ssrc %x, want %x", i, h.SSRC, first.SSRC)
		}
		if h.SequenceNumber != first.SequenceNumber+uint16(i) {
			t.Errorf("packet %d: seq %d, want %d", i, h.SequenceNumber,
				first.SequenceNumber+uint16(i))
		}
	}
	// Ticks 0-2 audio; 3-9 the key press (five updates, the end thrice);
	// 10-12 audio; 13 on hold; 14 audio again.
	for i, p := range pkts {
		tick := i
		if i >= 13 {
			tick++
		}
		h := p.Header
		event := tick >= 3 && tick <= 9
		wantTS := first.Timestamp + uint32(tick)*160
		wantPT, wantMarker := uint8(0), tick == 0 || tick == 14
		if event {
			wantTS, wantPT, wantMarker = first.Timestamp+3*160, 101, tick == 3
		}
		if h.Timestamp != wantTS || h.PayloadType != wantPT || h.Marker != wantMarker {
			t.Errorf("tick %d: ts +%d pt %d marker %v, want ts +%d pt %d marker %v",
				tick, h.Timestamp-first.Timestamp, h.PayloadType, h.Marker,
				wantTS-first.Timestamp, wantPT, wantMarker)
		}
		if event {
			ev, err := ParseEvent(p.Payload)
			if err != nil || ev.Code != 5 || ev.End != (tick >= 7) {
				t.Errorf("tick %d: event %+v, %v; want code 5, end %v", tick, ev, err, tick >= 7)
			}
		}
	}
}
