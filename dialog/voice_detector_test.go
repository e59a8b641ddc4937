package dialog

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/vad"
)

// sileroReady reports whether Silero can listen to the test calls: the
// ONNX Runtime and the model are installed (scripts/setup.sh) and flite can
// speak the caller's words. Otherwise the tests use energyDetector and
// tones.
var sileroReady = sync.OnceValue(func() bool {
	if _, err := exec.LookPath("flite"); err != nil {
		return false
	}
	m, err := vad.NewModel(vad.ModelConfig{})
	if err != nil {
		return false
	}
	m.Close()
	return true
})

var callerSpeechCache sync.Map // text → []int16

// callerSpeech is how the caller sounds saying text: flite's voice when
// Silero listens, else a tone of about the same length.
func callerSpeech(t *testing.T, text string) []int16 {
	t.Helper()
	if v, ok := callerSpeechCache.Load(text); ok {
		return v.([]int16)
	}
	var pcm []int16
	if sileroReady() {
		pcm = fliteSpeech(t, text)
	} else {
		pcm = make([]int16, len(strings.Fields(text))*16000*3/10)
		for i := range pcm {
			pcm[i] = int16(6000 * math.Sin(2*math.Pi*220*float64(i)/16000))
		}
	}
	callerSpeechCache.Store(text, pcm)
	return pcm
}

// fliteSpeech synthesizes text at 16 kHz, trimmed to where it is loud.
func fliteSpeech(t *testing.T, text string) []int16 {
	path := filepath.Join(t.TempDir(), "caller.wav")
	if out, err := exec.Command("flite", "-voice", "slt", "-t", text, "-o", path).CombinedOutput(); err != nil {
		t.Fatalf("flite: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := media.ReadWAV(f)
	if err != nil || w.Rate != 16000 {
		t.Fatalf("flite wav: %v (rate %d)", err, w.Rate)
	}
	first, last := -1, 0
	for i, s := range w.Samples {
		if s > 300 || s < -300 {
			if first < 0 {
				first = i
			}
			last = i + 1
		}
	}
	return w.Samples[max(first, 0):last]
}

// newTestDetector makes the call's detector outside the synctest bubble:
// Silero when available, else an energy detector. Each call gets a Model
// of its own, because a Model's internals belong to the first synctest
// bubble that uses them: close, called inside the bubble, releases it.
func newTestDetector(t *testing.T) (newDetector func() (SpeechDetector, error), close func()) {
	t.Helper()
	var d SpeechDetector = &energyDetector{}
	close = func() {}
	if sileroReady() {
		m, err := vad.NewModel(vad.ModelConfig{})
		if err != nil {
			t.Fatalf("vad model: %v", err)
		}
		close = func() { m.Close() }
		vd, err := vad.NewDetector(m, vad.Config{})
		if err != nil {
			t.Fatalf("vad detector: %v", err)
		}
		d = vd
	}
	return func() (SpeechDetector, error) { return d, nil }, close
}

// eventLog is a detector that keeps the events of the one it wraps.
type eventLog struct {
	SpeechDetector
	events []vad.Event // read once the call is over
}

func (l *eventLog) Push(pcm []int16) ([]vad.Event, error) {
	evs, err := l.SpeechDetector.Push(pcm)
	l.events = append(l.events, evs...)
	return evs, err
}

// speechStarts returns the ticks at which the detector reported
// SpeechStart.
func (r *callResult) speechStarts() []int {
	var ticks []int
	for _, ev := range r.detected.events {
		if ev.Type == vad.SpeechStart {
			ticks = append(ticks, frameTicks(ev.At))
		}
	}
	return ticks
}

// energyDetector is a stand-in for Silero where it is not installed: a
// frame is speech when it is loud, and the events follow vad's rules and
// default timings.
type energyDetector struct {
	pushed     int64
	phase      int // 0 quiet, 1 onset, 2 speech, 3 paused
	onset      int64
	from       int64
	quietFrom  int64
	lastEnd    int64
	minSilence int64
	events     []vad.Event
}

const (
	energyMinSpeech  = 1600 // 100 ms
	energyPrePad     = 4800 // 300 ms
	energyPauseAfter = 3200 // 200 ms
	energyMinSilence = 8000 // 500 ms
)

func (d *energyDetector) SetMinSilence(v time.Duration) {
	d.minSilence = samplesOf(v)
}

func (d *energyDetector) Push(pcm []int16) ([]vad.Event, error) {
	d.events = d.events[:0]
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	loud := len(pcm) > 0 && sum/float64(len(pcm)) > 300*300
	start := d.pushed
	d.pushed += int64(len(pcm))
	d.observe(loud, start, d.pushed)
	return d.events, nil
}

func (d *energyDetector) emit(typ vad.EventType, at int64) {
	d.events = append(d.events, vad.Event{Type: typ, Start: durationOf(at),
		At: durationOf(d.pushed), From: durationOf(d.from)})
}

func (d *energyDetector) observe(loud bool, start, end int64) {
	minSilence := d.minSilence
	if minSilence <= 0 {
		minSilence = energyMinSilence
	}
	switch {
	case d.phase == 0 && loud:
		d.phase, d.onset = 1, start
	case d.phase == 0:
		return
	case d.phase == 1 && !loud:
		d.phase = 0
		return
	}
	if d.phase == 1 {
		if end-d.onset >= energyMinSpeech {
			d.phase, d.quietFrom = 2, -1
			d.from = max(d.onset-energyPrePad, d.lastEnd, 0)
			d.emit(vad.SpeechStart, d.onset)
		}
		return
	}
	if loud {
		d.quietFrom = -1
		if d.phase == 3 {
			d.phase = 2
			d.emit(vad.Resume, start)
		}
		return
	}
	if d.quietFrom < 0 {
		d.quietFrom = start
	}
	switch quiet := end - d.quietFrom; {
	case quiet >= minSilence:
		d.phase, d.lastEnd = 0, d.quietFrom
		d.emit(vad.SpeechEnd, d.quietFrom)
	case quiet >= energyPauseAfter && d.phase == 2:
		d.phase = 3
		d.emit(vad.Pause, d.quietFrom)
	}
}
