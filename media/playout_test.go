package media

import (
	"sync"
	"testing"
	"time"
)

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestPlayoutRead(t *testing.T) {
	p := NewPlayout()
	pcm := make([]int16, 1000)
	for i := range pcm {
		pcm[i] = int16(i + 1)
	}
	p.Enqueue(pcm)
	if got, want := p.Pending(), 62500*time.Microsecond; got != want {
		t.Errorf("Pending = %v, want %v", got, want)
	}
	drained := p.Drained()

	frame := make([]int16, 320)
	for i, want := range []int{320, 320, 320, 40, 0} {
		if i <= 3 && isClosed(drained) {
			t.Fatalf("read %d: Drained closed before the queue emptied", i)
		}
		frame[len(frame)-1] = 99
		if got := p.read(frame); got != want {
			t.Errorf("read %d = %d samples, want %d", i, got, want)
		}
		if want > 0 && frame[0] != int16(i*320+1) {
			t.Errorf("read %d starts with %d, want %d", i, frame[0], i*320+1)
		}
		if want < len(frame) && frame[len(frame)-1] != 0 {
			t.Errorf("read %d: tail not silence", i)
		}
		if i == 3 && !isClosed(drained) {
			t.Errorf("Drained not closed after the last sample was read")
		}
	}
	if !isClosed(p.Drained()) {
		t.Errorf("Drained of an empty queue is not closed")
	}
}

func TestPlayoutFlush(t *testing.T) {
	p := NewPlayout()
	p.Enqueue(make([]int16, 500))
	p.read(make([]int16, 320))
	p.Enqueue(make([]int16, 100))
	drained := p.Drained()
	if got, want := p.Flush(), 280; got != want {
		t.Errorf("Flush = %d, want %d", got, want)
	}
	if !isClosed(drained) {
		t.Errorf("Drained not closed by Flush")
	}
	if got := p.Pending(); got != 0 {
		t.Errorf("Pending after Flush = %v, want 0", got)
	}
	if got := p.Flush(); got != 0 {
		t.Errorf("second Flush = %d, want 0", got)
	}
}

func TestPlayoutConcurrent(t *testing.T) {
	p := NewPlayout()
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 200 {
			p.Enqueue(make([]int16, 160))
		}
	})
	read := 0
	frame := make([]int16, 320)
	for read < 200*160 {
		read += p.read(frame)
	}
	wg.Wait()
	if got := p.Pending(); got != 0 {
		t.Errorf("Pending = %v, want 0", got)
	}
}

func BenchmarkPlayoutRead(b *testing.B) {
	p := NewPlayout()
	frame := make([]int16, 320)
	chunk := make([]int16, 320*50)
	b.ReportAllocs()
	for b.Loop() {
		if p.read(frame) == 0 {
			p.Enqueue(chunk)
		}
	}
}

func TestPlayoutPauseResume(t *testing.T) {
	p := NewPlayout()
	pcm := make([]int16, 800)
	for i := range pcm {
		pcm[i] = int16(i + 1)
	}
	p.Enqueue(pcm)
	frame := make([]int16, 320)

	tests := []struct {
		name      string
		do        func()
		wantN     int
		wantFirst int16
		wantPos   int64
	}{
		{"playing", func() {}, 320, 1, 320},
		{"paused", p.Pause, 0, 0, 320},
		{"still paused", func() {}, 0, 0, 320},
		{"resumed where it stopped", p.Resume, 320, 321, 640},
		{"tail", func() {}, 160, 641, 800},
	}
	for _, tt := range tests {
		tt.do()
		frame[0] = 99
		if got := p.Read(frame); got != tt.wantN {
			t.Errorf("%s: got %d samples, want %d", tt.name, got, tt.wantN)
		}
		if frame[0] != tt.wantFirst {
			t.Errorf("%s: got first sample %d, want %d", tt.name, frame[0], tt.wantFirst)
		}
		if got := p.Position(); got != tt.wantPos {
			t.Errorf("%s: got Position %d, want %d", tt.name, got, tt.wantPos)
		}
	}
}

func TestPlayoutPausedIsNotDrained(t *testing.T) {
	p := NewPlayout()
	p.Enqueue(make([]int16, 100))
	drained := p.Drained()
	p.Pause()
	p.Read(make([]int16, 320))
	if isClosed(drained) {
		t.Errorf("got Drained closed while paused with audio queued, want open")
	}
	p.Resume()
	p.Read(make([]int16, 320))
	if !isClosed(drained) {
		t.Errorf("got Drained open after the last sample was read, want closed")
	}
}

func TestPlayoutPositions(t *testing.T) {
	p := NewPlayout()
	p.Enqueue(make([]int16, 500))
	p.Enqueue(make([]int16, 300))
	if got, want := p.End(), int64(800); got != want {
		t.Errorf("got End %d, want %d", got, want)
	}

	at100, at320, at321, at800 := p.Reached(100), p.Reached(320), p.Reached(321), p.Reached(800)
	if !isClosed(p.Reached(0)) {
		t.Errorf("got Reached(0) open, want closed")
	}
	p.Read(make([]int16, 320))
	for _, c := range []struct {
		name string
		ch   <-chan struct{}
		want bool
	}{{"100", at100, true}, {"320", at320, true}, {"321", at321, false}, {"800", at800, false}} {
		if got := isClosed(c.ch); got != c.want {
			t.Errorf("after one read: got Reached(%s) closed %v, want %v", c.name, got, c.want)
		}
	}

	if got, want := p.Flush(), 480; got != want {
		t.Errorf("got Flush %d, want %d", got, want)
	}
	if got, want := p.Position(), int64(800); got != want {
		t.Errorf("after Flush: got Position %d, want %d", got, want)
	}
	if !isClosed(at321) || !isClosed(at800) {
		t.Errorf("after Flush: got Reached channels open, want closed")
	}

	later := p.Reached(900)
	p.Enqueue(make([]int16, 200))
	p.Read(make([]int16, 320))
	if !isClosed(later) {
		t.Errorf("got Reached(900) open after the audio was read, want closed")
	}
	if got, want := p.Position(), int64(1000); got != want {
		t.Errorf("got Position %d, want %d", got, want)
	}
}

func BenchmarkPlayoutReadWatched(b *testing.B) {
	p := NewPlayout()
	frame := make([]int16, 320)
	chunk := make([]int16, 320*50)
	b.ReportAllocs()
	for b.Loop() {
		if p.Read(frame) == 0 {
			p.Enqueue(chunk)
			p.Reached(p.End())
		}
	}
}
