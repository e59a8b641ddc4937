package vad

import (
	"fmt"
	"time"

	"github.com/voiced/voiced/media"
)

// Defaults of the Config fields left zero.
const (
	// DefaultThreshold is Config.Threshold's default, Silero's own.
	DefaultThreshold = 0.5
	// DefaultMinSpeech is Config.MinSpeech's default: four windows.
	DefaultMinSpeech = 100 * time.Millisecond
	// DefaultPrePadding is Config.PrePadding's default.
	DefaultPrePadding = 300 * time.Millisecond
	// DefaultPauseAfter is Config.PauseAfter's default.
	DefaultPauseAfter = 200 * time.Millisecond
	// DefaultMinSilence is Config.MinSilence's default.
	DefaultMinSilence = 500 * time.Millisecond
	// negGap is how far below Threshold NegThreshold defaults to, the
	// hysteresis Silero's own iterator uses.
	negGap = 0.15
)

// Config tunes one Detector. The zero value detects speech in 16 kHz
// audio with the defaults above.
type Config struct {
	// SampleRate of the pushed PCM: 8000 or 16000; zero means
	// media.PipelineRate.
	SampleRate int
	// Threshold is the probability at or above which a window is speech;
	// zero means DefaultThreshold.
	Threshold float32
	// NegThreshold is the probability below which a window is quiet;
	// between the two a window continues what came before. Zero means
	// Threshold-0.15 (half of Threshold where that would be below zero).
	NegThreshold float32
	// MinSpeech is how long speech must last before SpeechStart, so that
	// a click or a cough does not start an utterance; zero means
	// DefaultMinSpeech.
	MinSpeech time.Duration
	// PrePadding is how much audio before the first speech the
	// utterance's Event.From includes, for the recognizer to hear the
	// first sound whole; zero means DefaultPrePadding.
	PrePadding time.Duration
	// PauseAfter is how long quiet lasts before a Pause; zero means
	// DefaultPauseAfter.
	PauseAfter time.Duration
	// MinSilence is how long quiet lasts before SpeechEnd; zero means
	// DefaultMinSilence. SetMinSilence changes it during a call.
	MinSilence time.Duration
}

func (c *Config) fill() error {
	if c.SampleRate == 0 {
		c.SampleRate = media.PipelineRate
	}
	if ChunkSize(c.SampleRate) == 0 {
		return fmt.Errorf("%d Hz: %w", c.SampleRate, ErrSampleRate)
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.NegThreshold == 0 {
		c.NegThreshold = c.Threshold - negGap
		if c.NegThreshold <= 0 {
			c.NegThreshold = c.Threshold / 2
		}
	}
	c.MinSpeech = orDefault(c.MinSpeech, DefaultMinSpeech)
	c.PrePadding = orDefault(c.PrePadding, DefaultPrePadding)
	c.PauseAfter = orDefault(c.PauseAfter, DefaultPauseAfter)
	c.MinSilence = orDefault(c.MinSilence, DefaultMinSilence)

	if c.Threshold <= 0 || c.Threshold >= 1 || c.NegThreshold <= 0 || c.NegThreshold > c.Threshold {
		return fmt.Errorf("thresholds %v and %v, want 0 < neg <= threshold < 1: %w",
			c.NegThreshold, c.Threshold, ErrConfig)
	}
	if c.MinSpeech < 0 || c.PrePadding < 0 || c.PauseAfter < 0 || c.MinSilence < 0 {
		return fmt.Errorf("negative duration: %w", ErrConfig)
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Detector finds speech in one stream of PCM. It is not safe for
// concurrent use: the goroutine that owns the call pushes its frames.
type Detector struct {
	model  *Model
	cfg    Config
	chunk  int // new samples per window
	ctx    int // context samples at the front of window
	window []float32
	state  State
	req    request

	fill   int   // new samples in window so far
	pushed int64 // samples pushed since the start or Reset
	prob   float32
	m      machine
	events []Event
}

// NewDetector returns a Detector for one stream that runs its windows on
// model. It holds no resources of its own: drop it when the call ends.
func NewDetector(model *Model, cfg Config) (*Detector, error) {
	if err := cfg.fill(); err != nil {
		return nil, fmt.Errorf("new vad detector: %w", err)
	}
	if model == nil {
		return nil, fmt.Errorf("new vad detector: nil model: %w", ErrConfig)
	}

	d := &Detector{
		model:  model,
		cfg:    cfg,
		chunk:  ChunkSize(cfg.SampleRate),
		ctx:    ContextSize(cfg.SampleRate),
		events: make([]Event, 0, 4),
	}
	d.window = make([]float32, d.ctx+d.chunk)
	d.req = newRequest(cfg.SampleRate, d.window, &d.state)
	d.m = machine{
		thr:        cfg.Threshold,
		neg:        cfg.NegThreshold,
		minSpeech:  d.samples(cfg.MinSpeech),
		prePad:     d.samples(cfg.PrePadding),
		pauseAfter: d.samples(cfg.PauseAfter),
		minSilence: d.samples(cfg.MinSilence),
	}
	d.m.reset()
	return d, nil
}

// Push takes the next PCM of the stream, normally one 20 ms frame, runs
// the model on every 32 ms window it completes and returns the events
// those windows trigger, usually none. The returned slice is reused by
// the next Push. Push allocates nothing. It returns once its windows have
// run: about 0.08 ms for a window run alone, and up to a batch's time
// (about 1.2 ms for 32 windows) when it queues behind other streams or
// leads their batch. An error means the model failed or was closed;
// Push still takes all of pcm, so that offsets stay in step with the
// audio, and a window that failed triggers no event.
func (d *Detector) Push(pcm []int16) ([]Event, error) {
	d.events = d.events[:0]
	var first error
	for len(pcm) > 0 {
		dst := d.window[d.ctx+d.fill:]
		n := min(len(dst), len(pcm))
		for i, s := range pcm[:n] {
			dst[i] = float32(s) / 32768
		}
		pcm = pcm[n:]
		d.fill += n
		d.pushed += int64(n)
		if d.fill < d.chunk {
			break
		}
		if err := d.step(); err != nil && first == nil {
			first = err
		}
	}
	return d.events, first
}

// step runs the model on the full window and the state machine on its
// probability, then keeps the window's tail as the next one's context.
func (d *Detector) step() error {
	err := d.model.submit(&d.req)
	copy(d.window[:d.ctx], d.window[d.chunk:])
	d.fill = 0
	if err != nil {
		return fmt.Errorf("vad detector: %w", err)
	}

	d.prob = d.req.prob
	end := d.pushed
	typ, start := d.m.observe(d.prob, end-int64(d.chunk), end)
	if typ != 0 {
		d.events = append(d.events, Event{
			Type:  typ,
			Start: d.duration(start),
			At:    d.duration(end),
			From:  d.duration(d.m.from),
			Prob:  d.prob,
		})
	}
	return nil
}

// Probability returns the speech probability of the last window, 0
// before the first.
func (d *Detector) Probability() float32 { return d.prob }

// Speaking reports whether the stream is inside an utterance: after
// SpeechStart and before SpeechEnd.
func (d *Detector) Speaking() bool { return d.m.inUtterance() }

// Offset returns how much audio has been pushed since the start or the
// last Reset.
func (d *Detector) Offset() time.Duration { return d.duration(d.pushed) }

// SetMinSilence changes how long quiet must last before SpeechEnd,
// starting with the next window; a quiet run already longer ends the
// utterance then. Zero or less restores the Config's value. The turn
// controller shortens it after a complete question and lengthens it
// while the caller is mid-sentence.
func (d *Detector) SetMinSilence(v time.Duration) {
	if v <= 0 {
		v = d.cfg.MinSilence
	}
	d.m.minSilence = d.samples(v)
}

// MinSilence returns the quiet that ends an utterance now.
func (d *Detector) MinSilence() time.Duration { return d.duration(d.m.minSilence) }

// Config returns the Detector's configuration with the defaults filled
// in, as given to NewDetector.
func (d *Detector) Config() Config { return d.cfg }

// Reset starts a new stream: the model state, the context, the state
// machine and the offset go back to zero. The MinSilence set last stays.
func (d *Detector) Reset() {
	d.state.Reset()
	clear(d.window)
	d.fill, d.pushed, d.prob = 0, 0, 0
	d.m.reset()
	d.events = d.events[:0]
}

func (d *Detector) samples(v time.Duration) int64 {
	return int64(v) * int64(d.cfg.SampleRate) / int64(time.Second)
}

func (d *Detector) duration(samples int64) time.Duration {
	return time.Duration(samples) * time.Second / time.Duration(d.cfg.SampleRate)
}
