package vad

import "time"

// EventType says what a Detector noticed.
type EventType uint8

// The events of one utterance come in this order: SpeechStart, then any
// number of Pause and Resume pairs, then SpeechEnd, which may follow a
// Pause directly.
const (
	// SpeechStart means speech has lasted MinSpeech: the caller has begun
	// an utterance.
	SpeechStart EventType = iota + 1
	// Pause means the probability has stayed below NegThreshold for
	// PauseAfter: the caller may be done, so speculative recognition can
	// start.
	Pause
	// Resume means speech is back after a Pause, before the utterance
	// ended.
	Resume
	// SpeechEnd means the probability has stayed below NegThreshold for
	// MinSilence: the utterance is over.
	SpeechEnd
)

// String returns the event's name in snake_case, for logs and metrics.
func (t EventType) String() string {
	switch t {
	case SpeechStart:
		return "speech_start"
	case Pause:
		return "pause"
	case Resume:
		return "resume"
	case SpeechEnd:
		return "speech_end"
	}
	return "unknown"
}

// Event is a change a Detector noticed. Its times are offsets from the
// first sample pushed, exact to the sample.
type Event struct {
	// Type is what happened.
	Type EventType
	// Start is where the change began: the first window of speech for
	// SpeechStart and Resume, the first quiet window for Pause and
	// SpeechEnd (the end of the utterance's speech).
	Start time.Duration
	// At is where the Detector decided: the end of the window that
	// triggered the event, no later than the end of the Push that
	// reports it.
	At time.Duration
	// From is where the utterance's audio begins: PrePadding before its
	// first speech, but never before the stream's start nor the previous
	// utterance's end. Every event of an utterance carries it.
	From time.Duration
	// Prob is the speech probability of the window that triggered it.
	Prob float32
}

// phase is where the state machine is within the stream.
type phase uint8

const (
	phaseQuiet  phase = iota // between utterances
	phaseOnset               // speech heard, not yet MinSpeech of it
	phaseSpeech              // in an utterance
	phasePaused              // in an utterance, after a Pause event
)

// machine turns window probabilities into events. Positions are sample
// counts from the stream's start; quiet runs are timed from the first
// window below neg and reset only by a window at or above thr, so
// probabilities between the two thresholds neither start nor break a
// quiet run (hysteresis, as in Silero's own iterator).
type machine struct {
	thr, neg   float32
	minSpeech  int64
	prePad     int64
	pauseAfter int64
	minSilence int64

	phase     phase
	onset     int64 // first speech sample of the current utterance
	from      int64 // where the current utterance's audio begins
	quietFrom int64 // first sample of the current quiet run; -1 if none
	lastEnd   int64 // where the previous utterance's speech ended
}

// observe takes the probability p of the window [start, end) and returns
// the event it triggers, if any. A window triggers at most one event.
func (m *machine) observe(p float32, start, end int64) (typ EventType, at int64) {
	switch m.phase {
	case phaseQuiet:
		if p < m.thr {
			return 0, 0
		}
		m.phase, m.onset = phaseOnset, start
		return m.onsetWindow(p, end)
	case phaseOnset:
		return m.onsetWindow(p, end)
	}

	if p >= m.thr {
		m.quietFrom = -1
		if m.phase == phasePaused {
			m.phase = phaseSpeech
			return Resume, start
		}
		return 0, 0
	}
	if p < m.neg && m.quietFrom < 0 {
		m.quietFrom = start
	}
	if m.quietFrom < 0 {
		return 0, 0
	}

	quiet := end - m.quietFrom
	switch {
	case quiet >= m.minSilence:
		m.phase, m.lastEnd = phaseQuiet, m.quietFrom
		return SpeechEnd, m.quietFrom
	case quiet >= m.pauseAfter && m.phase == phaseSpeech:
		m.phase = phasePaused
		return Pause, m.quietFrom
	}
	return 0, 0
}

// onsetWindow handles a window while speech may be starting: a window
// below neg cancels the start, MinSpeech of speech confirms it.
func (m *machine) onsetWindow(p float32, end int64) (EventType, int64) {
	if p < m.neg {
		m.phase = phaseQuiet
		return 0, 0
	}
	if end-m.onset < m.minSpeech {
		return 0, 0
	}
	m.phase, m.quietFrom = phaseSpeech, -1
	m.from = max(m.onset-m.prePad, m.lastEnd, 0)
	return SpeechStart, m.onset
}

// reset returns the machine to the start of a stream, keeping its
// settings.
func (m *machine) reset() {
	m.phase, m.onset, m.from, m.quietFrom, m.lastEnd = phaseQuiet, 0, 0, -1, 0
}

// inUtterance reports whether SpeechStart was the last start or end
// event.
func (m *machine) inUtterance() bool {
	return m.phase == phaseSpeech || m.phase == phasePaused
}
