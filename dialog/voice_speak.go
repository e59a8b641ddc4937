package dialog

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Modes of what the controller says on its own, stored with the turn.
const (
	// ModeGreeting is the agent's greeting.
	ModeGreeting = "greeting"
	// ModePrompt is a fixed sentence: a reprompt, an apology, a goodbye,
	// a hand-over.
	ModePrompt = "prompt"
)

// firstClauseMin lets the first piece of an answer be a clause of this
// many bytes or more, so that speech starts sooner (see Splitter).
const firstClauseMin = 24

// speech is one thing the agent says: an answer, streamed in as the model
// writes it, or a prompt. Its sentences are synthesized one at a time,
// the next while the one before plays, and queued on the playout in
// order; their positions there tell how much of them the caller heard.
type speech struct {
	mode        string
	ctx         context.Context // ends synthesis and the reply; holds span
	span        trace.Span      // the turn's
	cancel      context.CancelFunc
	cancelReply context.CancelFunc // ends the reply alone; nil for prompts
	sentences   []*sentence
	textDone    bool   // no sentence will be added
	next        int    // the next sentence to synthesize
	busy        bool   // a synthesis runs
	after       func() // runs once all of it was heard
	user        *userTurn
	result      Result
	started     bool      // its first sample was played
	heardAt     time.Time // call time of its first sample
	timing      speechTiming
}

// speechTiming is what the turn's latencies are computed from.
type speechTiming struct {
	replyStart, firstToken, firstPlayed time.Time
	ttsFirstByte                        time.Duration
}

// sentence is a piece of a speech and where its audio went in the
// playout: [start, end), start -1 until its first audio.
type sentence struct {
	text       string
	start, end int64
	done       bool // synthesized, or failed
}

// speechKey carries the speech an answer belongs to into its tools.
type speechKey struct{}

// startSpeech makes sp the agent's speech, the answer to user's turn
// unless user is nil. If the caller is speaking, it starts paused, as a
// barge-in would have it.
func (v *Voice) startSpeech(mode string, user *userTurn) *speech {
	ctx, cancel := context.WithCancel(v.ctx)
	sp := &speech{mode: mode, user: user, cancel: cancel}
	sp.ctx, sp.span = v.startTurn(ctx, user)
	v.speech = sp
	if u := v.utt; u != nil && !u.ended {
		u.bargeIn, u.confirmed = true, false
		v.playout.Pause()
	} else {
		v.playout.Resume()
	}
	return sp
}

// say speaks a fixed text, cutting whatever the agent was saying, and
// runs after once it was heard (or failed to be synthesized).
func (v *Voice) say(text, mode string, after func()) {
	if v.speech != nil {
		v.cut(false)
	}
	sp := v.startSpeech(mode, nil)
	sp.sentences = append(sp.sentences, &sentence{text: text, start: -1})
	sp.textDone, sp.after = true, after
	v.progress()
}

// answer asks the model to answer the caller's turn and speaks the
// answer as it is written. Words of an earlier turn whose answer nobody
// heard are asked again with it.
func (v *Voice) answer(u *userTurn) {
	if c := v.carry; c != nil {
		u.text, u.at = c.text+" "+u.text, c.at
		v.carry = nil
	}
	v.reprompts = 0
	sp := v.startSpeech(ModeLLM, u)
	msgs := append(slices.Clip(v.history), Message{Role: "user", Content: u.text})
	v.log.Debug("answering", "text", u.text)
	v.startReply(sp, Request{TenantID: v.cfg.TenantID, Agent: v.cfg.Agent,
		ConversationID: v.cfg.ConversationID, Channel: v.cfg.Channel, Messages: msgs,
		Tools: v.tools, NoRecord: true})
}

// startReply runs the Replier on a helper, which cuts the streamed text
// into sentences and hands them to the loop.
func (v *Voice) startReply(sp *speech, req Request) {
	ctx, cancel := context.WithCancel(sp.ctx)
	ctx = context.WithValue(ctx, speechKey{}, sp)
	sp.cancelReply = cancel
	sp.timing.replyStart = v.cfg.Now()
	v.goHelper(func() {
		defer cancel()
		split := Splitter{FirstClauseMin: firstClauseMin}
		first := true
		res, err := v.cfg.Replier.Reply(ctx, req, func(delta string) error {
			if first {
				first = false
				at := v.cfg.Now()
				v.post(ctx, func() {
					sp.timing.firstToken = at
					sp.stageEvent(StageLLMFirstToken, at, at.Sub(sp.timing.replyStart))
				})
			}
			for _, s := range split.Push(delta) {
				if !v.post(ctx, func() { v.addSentence(sp, s) }) {
					return context.Cause(ctx)
				}
			}
			return nil
		})
		if rest := split.Flush(); err == nil && rest != "" {
			v.post(ctx, func() { v.addSentence(sp, rest) })
		}
		v.post(v.ctx, func() { v.replyDone(sp, res, err) })
	})
}

// addSentence adds a sentence of the answer being written.
func (v *Voice) addSentence(sp *speech, text string) {
	if v.speech != sp || sp.textDone {
		return
	}
	sp.sentences = append(sp.sentences, &sentence{text: text, start: -1})
	v.progress()
}

// replyDone closes the answer's text. An answer that failed before a
// word of it was said is replaced by an apology.
func (v *Voice) replyDone(sp *speech, res Result, err error) {
	if v.speech != sp || sp.textDone {
		return
	}
	switch {
	case err != nil && len(sp.sentences) == 0:
		v.metrics.failures.WithLabelValues("reply").Inc()
		failSpan(sp.span, "no answer")
		v.log.Warn("no answer, apologizing", "err", err)
		sp.mode = ModePrompt
		v.addSentence(sp, v.cfg.Prompts.Failure)
	case err != nil:
		v.metrics.failures.WithLabelValues("reply").Inc()
		v.log.Warn("answer cut short", "err", err)
	default:
		sp.result, sp.mode = res, res.Mode
	}
	sp.textDone = true
	v.progress()
}

// progress moves the agent's speech on after anything changed: it notes
// the first sample played, starts the next synthesis, ends the speech
// once all of it was played, and sets the playout watch for what comes
// next.
func (v *Voice) progress() {
	sp := v.speech
	if sp == nil {
		v.watch = nil
		return
	}
	pos := v.playout.Position()
	if first := sp.firstAudio(); !sp.started && first >= 0 && pos > first {
		sp.started = true
		sp.timing.firstPlayed = v.cfg.Now()
		sp.heardAt = v.streamTime(v.ring.written.Load())
		sp.played()
	}
	if sp.ready(pos) {
		sp.busy = true
		i := sp.next
		sp.next++
		v.synthesize(sp, i)
	}
	if sp.complete(pos) {
		v.endSpeech(sp, heardText(sp.sentences, pos), true, false)
		return
	}
	v.rearm(sp, pos)
}

// rearm watches the playout for the next position progress cares about.
func (v *Voice) rearm(sp *speech, pos int64) {
	target := int64(-1)
	consider := func(p int64) {
		if p > pos && (target < 0 || p < target) {
			target = p
		}
	}
	if first := sp.firstAudio(); !sp.started && first >= 0 {
		consider(first + 1)
	}
	if !sp.busy && sp.next > 0 && sp.next < len(sp.sentences) {
		consider(sp.sentences[sp.next-1].start)
	}
	if sp.textDone && !sp.busy && sp.next == len(sp.sentences) {
		consider(sp.end())
	}
	switch {
	case target < 0:
		v.watch = nil
	case target != v.watchPos || v.watch == nil:
		v.watch, v.watchPos = v.playout.Reached(target), target
	}
}

// firstAudio is the position of the speech's first sample, -1 before it
// has any.
func (sp *speech) firstAudio() int64 {
	for _, s := range sp.sentences {
		if s.start >= 0 && s.end > s.start {
			return s.start
		}
	}
	return -1
}

// ready reports whether the next sentence may be synthesized: one at a
// time, and only once the sentence before it is playing, so that at most
// one sentence waits queued behind the one the caller hears.
func (sp *speech) ready(pos int64) bool {
	if sp.busy || sp.next >= len(sp.sentences) {
		return false
	}
	if sp.next == 0 {
		return true
	}
	prev := sp.sentences[sp.next-1]
	return prev.done && pos >= prev.start
}

// complete reports whether all of the speech was played.
func (sp *speech) complete(pos int64) bool {
	return sp.textDone && !sp.busy && sp.next == len(sp.sentences) && pos >= sp.end()
}

// end is the position after the speech's last sample.
func (sp *speech) end() int64 {
	e := int64(0)
	for _, s := range sp.sentences {
		e = max(e, s.end)
	}
	return e
}

// cut stops the agent's speech now and keeps what the caller heard of
// it. With carry, an answer nobody heard leaves its question to be asked
// again with the caller's next words.
func (v *Voice) cut(carry bool) {
	sp := v.speech
	pos := v.playout.Position()
	v.playout.Flush()
	v.playout.Resume()
	v.endSpeech(sp, heardText(sp.sentences, pos), false, carry)
}

// endSpeech closes the agent's speech, records it and, if it was heard
// to the end, runs what was to follow it.
func (v *Voice) endSpeech(sp *speech, heard string, whole, carry bool) {
	sp.cancel()
	v.endTurnSpan(sp, heard, whole)
	v.speech, v.watch = nil, nil
	if u := v.utt; u != nil && u.bargeIn && !u.confirmed {
		u.bargeIn = false // nothing left to interrupt
		v.playout.Resume()
	}
	switch {
	case sp.user != nil && heard == "" && carry:
		v.carry = sp.user
	case sp.user != nil || heard != "":
		v.record(sp.user, sp, heard)
	}
	if whole && sp.after != nil {
		sp.after()
	}
}

// heardText is the text of the sentences played up to pos: whole
// sentences, and the share of words of one cut short.
func heardText(sentences []*sentence, pos int64) string {
	var parts []string
	for _, s := range sentences {
		if s.start < 0 || pos <= s.start {
			break
		}
		if s.end == s.start {
			continue // no audio: never heard
		}
		if pos >= s.end {
			parts = append(parts, s.text)
			continue
		}
		words := strings.Fields(s.text)
		k := int(int64(len(words)) * (pos - s.start) / (s.end - s.start))
		if k > 0 {
			parts = append(parts, strings.Join(words[:k], " "))
		}
		break
	}
	return strings.Join(parts, " ")
}
