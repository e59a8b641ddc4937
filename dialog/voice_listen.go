package dialog

import (
	"strings"
	"time"

	"github.com/voiced/voiced/vad"
)

// utterance is what the caller is saying, from the detector's SpeechStart
// to the transcript that ends their turn.
type utterance struct {
	from      int64 // ring position where its audio begins, pre-roll included
	start     int64 // ring position of its first speech
	speechEnd int64 // where its speech stopped, at the last Pause or SpeechEnd
	paused    bool
	ended     bool      // SpeechEnd came: the turn is over once transcribed
	endAt     time.Time // when SpeechEnd was decided
	// bargeIn is set when the agent was speaking as it began: the agent's
	// audio is paused until the words show what the caller wants.
	bargeIn   bool
	confirmed bool // its words made it an interruption

	rec    *recognition // the current recognition; a newer one replaces it
	text   string       // best transcript so far: a partial, then the final
	final  bool         // text is rec's final transcript
	failed error        // recognition failed
}

// onSpeechEvent handles one detector event.
func (v *Voice) onSpeechEvent(ev vad.Event) {
	start := v.detBase + samplesOf(ev.Start)
	v.log.Debug("speech event", "type", ev.Type, "start", ev.Start, "at", ev.At)
	switch ev.Type {
	case vad.SpeechStart:
		v.speechStarted(v.detBase+samplesOf(ev.From), start)
	case vad.Pause:
		if u := v.utt; u != nil && !u.ended {
			u.paused, u.speechEnd = true, start
			v.adaptEndpoint(u)
			v.finishEarly(u)
		}
	case vad.Resume:
		if u := v.utt; u != nil && !u.ended {
			u.paused, u.speechEnd = false, 0
			v.det.SetMinSilence(0)
			if u.rec.finishing {
				u.rec.stop() // the speculative transcript is stale
				v.startRecognition(u)
			}
		}
	case vad.SpeechEnd:
		if u := v.utt; u != nil && !u.ended {
			u.ended, u.speechEnd, u.endAt = true, start, v.cfg.Now()
			v.det.SetMinSilence(0)
			v.finishUtterance(u)
		}
	}
}

// speechStarted opens an utterance. Over the agent's speech it pauses the
// playout at once: a barge-in until its words say otherwise.
func (v *Voice) speechStarted(from, start int64) {
	if v.closing || (v.utt != nil && !v.utt.ended) {
		return
	}
	if v.utt != nil {
		// The caller speaks again before the last turn's transcript came.
		if v.prev != nil {
			v.prev.rec.stop()
		}
		v.prev = v.utt
	}
	u := &utterance{from: max(from, v.ring.oldest()), start: start}
	if v.speech != nil {
		u.bargeIn = true
		v.playout.Pause()
	}
	v.utt = u
	v.startRecognition(u)
}

// finishEarly asks for a speculative transcript at a pause, so that it is
// ready when the turn ends. If the caller resumes, it is dropped and the
// utterance replayed into a new session, which the ring must still hold.
func (v *Voice) finishEarly(u *utterance) {
	if u.rec.finishing || v.readPos-u.from > ringKeep/2 {
		return
	}
	v.finish(u)
}

// finishUtterance ends u's turn once its transcript is known.
func (v *Voice) finishUtterance(u *utterance) {
	switch r := u.rec; {
	case u.failed != nil || r.done:
		v.endTurn(u)
	case !r.finishing:
		v.finish(u)
	}
}

// onPartial takes a partial transcript. Words beyond a backchannel over
// the agent's speech prove an interruption at once.
func (v *Voice) onPartial(u *utterance, r *recognition, text string) {
	if !v.listening(u, r) || u.final {
		return
	}
	u.text = strings.TrimSpace(text)
	if u.bargeIn && !u.confirmed && hasWords(u.text) {
		v.confirmBargeIn(u)
	}
	if u.paused {
		v.adaptEndpoint(u)
	}
}

// recognitionFailed notes a recognizer failure. An ended utterance ends
// its turn now (with an apology); a running one waits for its end.
func (v *Voice) recognitionFailed(u *utterance, r *recognition, stage string, err error) {
	if !v.listening(u, r) {
		return
	}
	v.metrics.failures.WithLabelValues(stage).Inc()
	v.log.Warn("speech recognition failed", "stage", stage, "err", err)
	r.done, u.failed = true, err
	if u.ended {
		v.endTurn(u)
	}
}

// adaptEndpoint sets how much more silence ends the turn, by what the
// transcript so far looks like.
func (v *Voice) adaptEndpoint(u *utterance) {
	v.det.SetMinSilence(endpointWait(u.text, v.cfg.Endpointing))
}

// listening reports whether r is the recognition of an utterance still
// awaited.
func (v *Voice) listening(u *utterance, r *recognition) bool {
	return (u == v.utt || u == v.prev) && u.rec == r
}

// dropUtterances abandons what the caller is saying.
func (v *Voice) dropUtterances() {
	for _, u := range []*utterance{v.utt, v.prev} {
		if u != nil {
			u.rec.stop()
		}
	}
	v.utt, v.prev = nil, nil
	v.det.SetMinSilence(0)
}

// confirmBargeIn stops the agent for good: the caller is interrupting.
func (v *Voice) confirmBargeIn(u *utterance) {
	u.confirmed = true
	v.metrics.bargeIns.WithLabelValues("interruption").Inc()
	v.log.Debug("barge-in", "text", u.text)
	if v.speech != nil {
		v.cut(true)
	}
}

// endTurn acts on a finished utterance: a pause that proved nothing
// resumes the agent, words are answered, a failure is apologized for.
func (v *Voice) endTurn(u *utterance) {
	if u == v.utt {
		v.utt = nil
		v.det.SetMinSilence(0)
	} else {
		v.prev = nil
	}
	u.rec.stop()
	pending := u.bargeIn && !u.confirmed && v.speech != nil
	switch {
	case u.failed != nil && pending:
		v.resumeSpeech("asr_failed")
	case u.failed != nil:
		if v.speech != nil {
			v.cut(true)
		}
		v.say(v.cfg.Prompts.NotHeard, ModePrompt, nil)
	case u.text == "" && pending:
		v.resumeSpeech("false")
	case u.text == "":
		v.log.Debug("empty transcript ignored")
	case pending && !hasWords(u.text):
		v.resumeSpeech("backchannel")
	default:
		if v.speech != nil {
			v.confirmBargeIn(u)
		}
		v.answer(v.userTurnOf(u))
	}
}

// resumeSpeech lets the agent go on after a barge-in that was none.
func (v *Voice) resumeSpeech(outcome string) {
	v.metrics.bargeIns.WithLabelValues(outcome).Inc()
	v.log.Debug("barge-in dismissed", "outcome", outcome)
	v.playout.Resume()
	v.progress()
}

// userTurnOf describes u's turn for the answer and the record.
func (v *Voice) userTurnOf(u *utterance) *userTurn {
	return &userTurn{text: u.text, at: v.streamTime(u.start), endAt: u.endAt,
		lastSpeech: v.wallTime(u.speechEnd), asr: u.rec.took, asrAt: u.rec.at,
		bargeIn: u.bargeIn && u.confirmed}
}
