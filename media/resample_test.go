package media

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// toneSignal returns n samples of a sine of freq Hz at rate, peak amp.
func toneSignal(rate int, freq, amp float64, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return s
}

// toneFit fits a*cos + b*sin + c at freq to y by least squares and
// returns the fitted sine's peak amplitude and the ratio in dB of its
// power to that of everything else (noise, distortion, aliases). Fitting
// the phase makes the measure blind to the filter's delay.
func toneFit(y []int16, rate int, freq float64) (amp, snrDB float64) {
	w := 2 * math.Pi * freq / float64(rate)
	var m [3][4]float64 // normal equations, augmented
	for i, v := range y {
		basis := [3]float64{math.Cos(w * float64(i)), math.Sin(w * float64(i)), 1}
		for r := range 3 {
			for c := range 3 {
				m[r][c] += basis[r] * basis[c]
			}
			m[r][3] += basis[r] * float64(v)
		}
	}
	x := solve3(m)

	var sig, res float64
	for i, v := range y {
		fit := x[0]*math.Cos(w*float64(i)) + x[1]*math.Sin(w*float64(i))
		sig += fit * fit
		e := float64(v) - fit - x[2]
		res += e * e
	}
	return math.Hypot(x[0], x[1]), 10 * math.Log10(sig/max(res, 1e-9))
}

// solve3 solves a 3x3 system by Gaussian elimination with partial
// pivoting.
func solve3(m [3][4]float64) [3]float64 {
	for c := range 3 {
		p := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < 3; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k < 4; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	var x [3]float64
	for r := 2; r >= 0; r-- {
		s := m[r][3]
		for k := r + 1; k < 3; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x
}

// rmsOf returns the root mean square of s.
func rmsOf(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}

// resampleAll runs src through a fresh resampler in 20 ms frames.
func resampleAll(t testing.TB, from, to int, src []int16) []int16 {
	t.Helper()
	r, err := NewResampler(from, to)
	if err != nil {
		t.Fatalf("NewResampler(%d, %d): %v", from, to, err)
	}
	in, out := SamplesPerFrame(from), SamplesPerFrame(to)
	dst := make([]int16, 0, len(src)*to/from)
	buf := make([]int16, out)
	for f := 0; f+in <= len(src); f += in {
		if got := r.OutputLen(in); got != out {
			t.Fatalf("%d->%d: OutputLen(%d) = %d, want %d", from, to, in, got, out)
		}
		n := r.Resample(buf, src[f:f+in])
		if n != out {
			t.Fatalf("%d->%d: Resample of %d gave %d, want %d", from, to, in, n, out)
		}
		dst = append(dst, buf[:n]...)
	}
	return dst
}

func TestResamplerRates(t *testing.T) {
	for _, from := range resampleRates {
		for _, to := range resampleRates {
			t.Run(fmt.Sprintf("%d-%d", from, to), func(t *testing.T) {
				// A second of silence exercises every frame length.
				got := resampleAll(t, from, to, make([]int16, from))
				if len(got) != to {
					t.Errorf("got %d samples, want %d", len(got), to)
				}
			})
		}
	}

	for _, tc := range [][2]int{{8000, 44100}, {11025, 16000}, {0, 16000}, {16000, -1}} {
		_, err := NewResampler(tc[0], tc[1])
		if !errors.Is(err, ErrUnsupportedRate) {
			t.Errorf("NewResampler(%d, %d): got %v, want ErrUnsupportedRate", tc[0], tc[1], err)
		}
	}
}

func TestResamplerSine(t *testing.T) {
	const amp = 16000.0
	tests := []struct {
		from, to int
		freq     float64
	}{
		{8000, 16000, 1000},
		{48000, 16000, 1000},
		{16000, 8000, 1000},
		{24000, 16000, 1000},
		{16000, 48000, 1000},
		{8000, 48000, 1000},
		{48000, 8000, 1000},
		{16000, 24000, 1000},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%d-%d", tc.from, tc.to)
		t.Run(name, func(t *testing.T) {
			out := resampleAll(t, tc.from, tc.to, toneSignal(tc.from, tc.freq, amp, tc.from))
			gotAmp, snr := toneFit(out[tc.to/50:], tc.to, tc.freq) // skip the filter's fill
			gainDB := 20 * math.Log10(gotAmp/amp)
			t.Logf("%s: %.0f Hz gain %.4f dB, SNR %.1f dB", name, tc.freq, gainDB, snr)
			if math.Abs(gainDB) > 0.5 {
				t.Errorf("gain: got %.3f dB, want within 0.5 dB", gainDB)
			}
			if snr < 40 {
				t.Errorf("SNR: got %.1f dB, want > 40 dB", snr)
			}
		})
	}
}

// TestResamplerBands checks the filter edges at 48 kHz -> 16 kHz: a 7 kHz
// tone, inside the 8 kHz Nyquist band, passes; a 10 kHz tone, which would
// alias to 6 kHz, is removed.
func TestResamplerBands(t *testing.T) {
	const amp = 16000.0
	tests := []struct {
		from, to   int
		freq       float64
		minDB      float64 // least output level relative to input
		maxDB      float64 // greatest output level relative to input
		passOrStop string
	}{
		{48000, 16000, 7000, -6, 0.5, "pass"},
		{48000, 16000, 3400, -0.5, 0.5, "pass"},
		{48000, 16000, 10000, -200, -40, "stop"},
		{48000, 16000, 14000, math.Inf(-1), -40, "stop"},
		{48000, 8000, 5000, -200, -40, "stop"},
		{16000, 8000, 5000, -200, -40, "stop"},
		{24000, 16000, 9500, -200, -40, "stop"},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%d-%d/%.0fHz", tc.from, tc.to, tc.freq)
		t.Run(name, func(t *testing.T) {
			out := resampleAll(t, tc.from, tc.to, toneSignal(tc.from, tc.freq, amp, tc.from))
			level := 20 * math.Log10(rmsOf(out[tc.to/50:])/(amp/math.Sqrt2))
			t.Logf("%s band: %.0f Hz comes out at %.1f dB", tc.passOrStop, tc.freq, level)
			if level < tc.minDB || level > tc.maxDB {
				t.Errorf("level: got %.1f dB, want %.1f to %.1f dB", level, tc.minDB, tc.maxDB)
			}
		})
	}
}

// TestResamplerImages checks that upsampling removes the spectral images:
// a 3 kHz tone at 8 kHz -> 48 kHz must come out as a clean 3 kHz tone,
// without its images at 5, 11, 13 kHz and so on.
func TestResamplerImages(t *testing.T) {
	const amp = 16000.0
	out := resampleAll(t, 8000, 48000, toneSignal(8000, 3000, amp, 8000))
	gotAmp, snr := toneFit(out[960:], 48000, 3000)
	t.Logf("3 kHz at 8k->48k: gain %.2f dB, SNR %.1f dB", 20*math.Log10(gotAmp/amp), snr)
	if snr < 40 {
		t.Errorf("SNR: got %.1f dB, want > 40 dB", snr)
	}
}

func TestResamplerDC(t *testing.T) {
	for _, from := range resampleRates {
		for _, to := range resampleRates {
			src := make([]int16, from/5)
			for i := range src {
				src[i] = -12345
			}
			out := resampleAll(t, from, to, src)
			for i, v := range out[to/50:] {
				if v != -12345 {
					t.Errorf("%d->%d: sample %d: got %d, want -12345", from, to, i, v)
					break
				}
			}
		}
	}
}

// TestResamplerClipping feeds full-scale square waves, whose edges ring
// past full scale after filtering; the overshoot must saturate, not wrap
// to the other sign.
func TestResamplerClipping(t *testing.T) {
	for _, rates := range [][2]int{{8000, 16000}, {48000, 16000}, {16000, 24000}} {
		from, to := rates[0], rates[1]
		src := make([]int16, from/5)
		for i := range src {
			if (i/(from/200))%2 == 0 {
				src[i] = math.MaxInt16
			} else {
				src[i] = math.MinInt16
			}
		}
		out := resampleAll(t, from, to, src)

		// The filter delays the output by half its length at the up rate.
		b := resampleBank(t, from, to)
		delay := int(math.Round(float64(b.taps*b.l-1) / 2 * float64(to) / float64(from*b.l)))
		half := to / 200
		var sawMax, sawMin bool
		for k := delay; k < len(out); k++ {
			v := out[k]
			sawMax = sawMax || v == math.MaxInt16
			sawMin = sawMin || v == math.MinInt16
			// Away from the edges the sign must match the input's.
			j := (k - delay) % (2 * half)
			positive := j > half/4 && j < half-half/4
			negative := j > half+half/4 && j < 2*half-half/4
			if positive && v < 0 || negative && v > 0 {
				t.Fatalf("%d->%d: sample %d: got %d, wrapped to the wrong sign", from, to, k, v)
			}
		}
		if !sawMax || !sawMin {
			t.Errorf("%d->%d: got max seen %v, min seen %v, want both saturated", from, to, sawMax, sawMin)
		}
	}
}

// TestResamplerStreaming checks that any split of the input into calls
// gives the same output as one call.
// resampleBank returns the shared filter bank for a pair of rates.
func resampleBank(t *testing.T, from, to int) *filterBank {
	t.Helper()
	fi, ok1 := rateIndex(from)
	ti, ok2 := rateIndex(to)
	if !ok1 || !ok2 || from == to {
		t.Fatalf("no filter bank for %d->%d", from, to)
	}
	return bankFor(fi, ti)
}

func TestResamplerStreaming(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, from := range resampleRates {
		for _, to := range resampleRates {
			src := make([]int16, 3*from/2+7)
			for i := range src {
				src[i] = int16(rng.IntN(40000) - 20000)
			}

			one, _ := NewResampler(from, to)
			want := make([]int16, one.OutputLen(len(src)))
			want = want[:one.Resample(want, src)]

			r, _ := NewResampler(from, to)
			var got []int16
			buf := make([]int16, 4*resampleBlock*6)
			for rest := src; len(rest) > 0; {
				k := min(len(rest), 1+rng.IntN(2*resampleBlock+3))
				n := r.Resample(buf, rest[:k])
				got = append(got, buf[:n]...)
				rest = rest[k:]
			}
			if !slices.Equal(got, want) {
				t.Errorf("%d->%d: chunked output (%d samples) differs from one-shot (%d samples)",
					from, to, len(got), len(want))
			}

			r.Reset()
			again := make([]int16, r.OutputLen(len(src)))
			again = again[:r.Resample(again, src)]
			if !slices.Equal(again, want) {
				t.Errorf("%d->%d: output after Reset differs from a fresh resampler", from, to)
			}
		}
	}
}

func TestResamplerShortDst(t *testing.T) {
	r, _ := NewResampler(8000, 16000)
	defer func() {
		if recover() == nil {
			t.Errorf("Resample into a short dst: got no panic, want one")
		}
	}()
	r.Resample(make([]int16, 319), make([]int16, 160))
}

func TestResamplerAllocs(t *testing.T) {
	for _, from := range resampleRates {
		for _, to := range resampleRates {
			r, _ := NewResampler(from, to)
			src := toneSignal(from, 440, 8000, SamplesPerFrame(from))
			dst := make([]int16, SamplesPerFrame(to))
			got := testing.AllocsPerRun(100, func() { r.Resample(dst, src) })
			if got != 0 {
				t.Errorf("%d->%d: got %v allocs per frame, want 0", from, to, got)
			}
		}
	}
}

func BenchmarkResample(b *testing.B) {
	for _, rates := range [][2]int{
		{8000, 16000}, {16000, 8000}, {24000, 16000}, {48000, 16000},
		{16000, 24000}, {16000, 48000},
	} {
		from, to := rates[0], rates[1]
		b.Run(fmt.Sprintf("%dk-%dk", from/1000, to/1000), func(b *testing.B) {
			r, _ := NewResampler(from, to)
			src := toneSignal(from, 440, 8000, SamplesPerFrame(from))
			dst := make([]int16, SamplesPerFrame(to))
			b.ReportAllocs()
			for b.Loop() {
				r.Resample(dst, src)
			}
		})
	}
}
