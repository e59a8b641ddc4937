package media

import (
	"fmt"
	"math"
	"sync"
)

// A rational resampler: conceptually the input is upsampled by L (zeros
// stuffed between samples), low-pass filtered at the up rate and
// decimated by M, where L/M is to/from in lowest terms. The polyphase form
// computes only the outputs kept, each from one phase of the filter, so
// the cost per output is the filter's span in input samples.
//
// The filter is a Kaiser-windowed sinc cut off just below the Nyquist
// frequency of the lower of the two rates, so upsampling removes the
// images and downsampling removes what would alias.

// resampleRates are the rates a Resampler converts between.
var resampleRates = [...]int{8000, 16000, 24000, 48000}

// Filter design. The span is counted in samples of the lower rate, which
// fixes the transition band's width in Hz whatever the direction.
const (
	resampleSpan   = 24   // filter length in samples of the lower rate
	resampleBeta   = 8.0  // Kaiser beta: about 80 dB of sidelobe rejection
	resampleCutoff = 0.92 // -6 dB point as a fraction of the lower Nyquist
	// resampleBlock is how many input samples one pass converts to
	// float32; longer inputs take several passes.
	resampleBlock = 960
)

// filterBank holds the precomputed phases for one pair of rates. It is
// shared by every Resampler of that pair and never written after design.
type filterBank struct {
	l, m int // interpolation and decimation factors, coprime
	taps int // coefficients per phase
	// coef holds phase p at coef[p*taps:(p+1)*taps], in time order:
	// entry i weighs the input taps-1-i samples before the newest one.
	coef []float32
}

// banks caches one filterBank per ordered pair of rates.
var banks [len(resampleRates)][len(resampleRates)]struct {
	once sync.Once
	bank *filterBank
}

func bankFor(fromIdx, toIdx int) *filterBank {
	b := &banks[fromIdx][toIdx]
	b.once.Do(func() {
		b.bank = designBank(resampleRates[fromIdx], resampleRates[toIdx])
	})
	return b.bank
}

// designBank computes the windowed-sinc prototype at the up rate and
// splits it into L phases, each normalized to unity gain at DC so that a
// constant input comes out exactly constant.
func designBank(from, to int) *filterBank {
	g := gcd(from, to)
	l, m := to/g, from/g
	up := from * l
	low := min(from, to)
	taps := (resampleSpan*up/low + l - 1) / l
	total := taps * l

	fc := resampleCutoff * float64(low) / 2 / float64(up) // cycles per up-rate sample
	center := float64(total-1) / 2
	h := make([]float64, total)
	for i := range h {
		x := float64(i) - center
		h[i] = 2 * fc * sinc(2*fc*x) * kaiser(x/center, resampleBeta)
	}

	coef := make([]float32, total)
	for p := range l {
		var sum float64
		for j := range taps {
			sum += h[p+j*l]
		}
		for j := range taps {
			coef[p*taps+taps-1-j] = float32(h[p+j*l] / sum)
		}
	}
	return &filterBank{l: l, m: m, taps: taps, coef: coef}
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// kaiser is the Kaiser window at x in [-1, 1].
func kaiser(x, beta float64) float64 {
	return besselI0(beta*math.Sqrt(max(0, 1-x*x))) / besselI0(beta)
}

// besselI0 is the modified Bessel function of the first kind, order 0,
// summed from its power series until terms stop mattering.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; term > 1e-12*sum; k++ {
		f := x / (2 * float64(k))
		term *= f * f
		sum += term
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Resampler converts a stream of mono PCM16 between 8000, 16000, 24000
// and 48000 Hz. It keeps the tail of each input as history, so a stream
// resampled frame by frame comes out the same as resampled in one call.
// A Resampler is not safe for concurrent use; each stream owns one.
type Resampler struct {
	from, to int
	bank     *filterBank // nil when from == to
	// work holds taps-1 samples of history followed by the block being
	// converted.
	work []float32
	// pos is where the next output falls on the up-rate grid, counted
	// from the first sample of the next input.
	pos int
}

// NewResampler returns a resampler from one rate to another, each 8000,
// 16000, 24000 or 48000 Hz. Equal rates make a resampler that copies.
func NewResampler(from, to int) (*Resampler, error) {
	fi, ok := rateIndex(from)
	if !ok {
		return nil, fmt.Errorf("new resampler from %d Hz: %w", from, ErrUnsupportedRate)
	}
	ti, ok := rateIndex(to)
	if !ok {
		return nil, fmt.Errorf("new resampler to %d Hz: %w", to, ErrUnsupportedRate)
	}

	r := &Resampler{from: from, to: to}
	if from != to {
		r.bank = bankFor(fi, ti)
		r.work = make([]float32, r.bank.taps-1+resampleBlock)
	}
	return r, nil
}

func rateIndex(rate int) (int, bool) {
	for i, r := range resampleRates {
		if r == rate {
			return i, true
		}
	}
	return 0, false
}

// OutputLen returns how many samples the next Resample call yields for n
// input samples. For whole 20 ms frames it is always n*to/from (160 in at
// 8 kHz gives 320 out at 16 kHz); for other lengths it depends on where
// the previous call left off.
func (r *Resampler) OutputLen(n int) int {
	if r.bank == nil {
		return n
	}
	limit := n * r.bank.l
	if r.pos >= limit {
		return 0
	}
	return (limit - r.pos + r.bank.m - 1) / r.bank.m
}

// Resample converts src, writes the result to dst and returns its length,
// OutputLen(len(src)). It panics if dst is shorter than that, before
// touching any state.
func (r *Resampler) Resample(dst, src []int16) int {
	n := r.OutputLen(len(src))
	if len(dst) < n {
		panic(fmt.Sprintf("media: Resampler.Resample: dst holds %d samples, want %d", len(dst), n))
	}
	if r.bank == nil {
		return copy(dst, src)
	}

	out := 0
	for len(src) > 0 {
		k := min(len(src), resampleBlock)
		out += r.block(dst[out:], src[:k])
		src = src[k:]
	}
	return out
}

// block converts at most resampleBlock samples and keeps their tail as
// history for the next one.
func (r *Resampler) block(dst, src []int16) int {
	b := r.bank
	hist := b.taps - 1
	w := r.work[:hist+len(src)]
	for i, s := range src {
		w[hist+i] = float32(s)
	}

	out := 0
	limit := len(src) * b.l
	for ; r.pos < limit; r.pos += b.m {
		i := r.pos / b.l
		p := r.pos - i*b.l
		dst[out] = saturate(dot(b.coef[p*b.taps:(p+1)*b.taps], w[i:i+b.taps]))
		out++
	}
	r.pos -= limit

	copy(r.work[:hist], w[len(src):])
	return out
}

// dot is the inner product of two slices of equal length, with four
// accumulators so that the additions need not wait on one another.
func dot(c, x []float32) float32 {
	x = x[:len(c)]
	var a0, a1, a2, a3 float32
	i := 0
	for ; i+4 <= len(c); i += 4 {
		a0 += c[i] * x[i]
		a1 += c[i+1] * x[i+1]
		a2 += c[i+2] * x[i+2]
		a3 += c[i+3] * x[i+3]
	}
	for ; i < len(c); i++ {
		a0 += c[i] * x[i]
	}
	return (a0 + a1) + (a2 + a3)
}

// saturate rounds v to the nearest int16, clipping instead of wrapping:
// the filter's ripple can overshoot full scale on loud input.
func saturate(v float32) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}

// Reset forgets the history, as at the start of a new stream.
func (r *Resampler) Reset() {
	clear(r.work)
	r.pos = 0
}

// Rates returns the input and output rates.
func (r *Resampler) Rates() (from, to int) { return r.from, r.to }
