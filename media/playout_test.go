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
