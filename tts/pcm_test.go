package tts

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"
)

func ramp(n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(i)
	}
	return out
}

func TestPCMStream(t *testing.T) {
	pcm := ramp(10)
	s := NewPCMStream(16000, pcm)
	if got := s.SampleRate(); got != 16000 {
		t.Fatalf("got rate %d, want 16000", got)
	}
	var got []int16
	buf := make([]int16, 4)
	for {
		n, err := s.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(got, pcm) {
		t.Fatalf("got %v, want %v", got, pcm)
	}
	s.Close()
	if _, err := s.Read(buf); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("got %v after close, want ErrStreamClosed", err)
	}
}

func TestReadAll(t *testing.T) {
	tests := []struct {
		name string
		n    int
	}{
		{"empty", 0}, {"under a chunk", 100}, {"several chunks", 3*readChunk + 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rate, err := ReadAll(context.Background(), NewPCMStream(24000, ramp(tt.n)))
			if err != nil || rate != 24000 || !slices.Equal(got, ramp(tt.n)) {
				t.Fatalf("got %d samples at %d Hz, %v, want %d at 24000, nil", len(got), rate, err, tt.n)
			}
		})
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := ReadAll(ctx, NewPCMStream(16000, ramp(10))); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v with a cancelled context, want context.Canceled", err)
	}
}
