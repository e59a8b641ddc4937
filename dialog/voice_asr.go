package dialog

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/media"
)

// recognition is one recognizer session of an utterance, run by a
// goroutine of its own: it opens the session, writes the utterance's audio
// from the ring as it arrives and asks for the transcript when told. The
// event loop never waits on a recognizer, even one that decodes inside
// Write. A resumed utterance is replayed into a new recognition.
type recognition struct {
	// wake says that audio arrived; finishAt, sent once, where the
	// utterance's audio ends for this recognition.
	wake     chan struct{}
	finishAt chan int64
	// stop abandons the recognition and closes its session.
	stop context.CancelFunc

	// The fields below belong to the loop.
	finishing bool // finishAt was sent
	done      bool // the transcript, or a failure, came back
	took      time.Duration
	at        time.Time // when the transcript came back
}

// startRecognition starts a recognition of u from its beginning.
func (v *Voice) startRecognition(u *utterance) {
	ctx, cancel := context.WithCancel(v.ctx)
	r := &recognition{wake: make(chan struct{}, 1), finishAt: make(chan int64, 1), stop: cancel}
	u.rec, u.text, u.final, u.failed = r, "", false, nil
	onPartial := func(text string) {
		// The recognizer's goroutine must not block: a partial that finds
		// the queue full is dropped, the next one or the final follows.
		select {
		case v.events <- func() { v.onPartial(u, r, text) }:
		default:
		}
	}
	opts := asr.Options{Language: v.language(true), Prompt: v.lastSaid(), OnPartial: onPartial}
	from := u.from
	v.goHelper(func() {
		defer cancel()
		v.recognize(ctx, u, r, from, opts)
	})
}

// recognize runs one recognition: the session gets the ring's audio from
// from on until the loop says where it ends, then gives its transcript.
func (v *Voice) recognize(ctx context.Context, u *utterance, r *recognition, from int64,
	opts asr.Options) {
	startCtx, cancel := context.WithTimeout(ctx, v.cfg.ASRTimeout)
	sess, err := v.cfg.Recognizer.Start(startCtx, opts)
	cancel()
	if err != nil {
		v.post(ctx, func() { v.recognitionFailed(u, r, "asr_start", err) })
		return
	}
	defer sess.Close()

	pos, end, err := v.stream(ctx, r, sess, from)
	if err != nil {
		v.post(ctx, func() { v.recognitionFailed(u, r, "asr_write", err) })
		return
	}
	if end < 0 {
		return // stopped
	}

	start := v.cfg.Now()
	finishCtx, cancel := context.WithTimeout(ctx, v.cfg.ASRTimeout)
	res, err := sess.Finish(finishCtx)
	cancel()
	took := v.cfg.Now().Sub(start)
	v.log.Debug("recognized", "audio", durationOf(pos-from), "asr_ms", took.Milliseconds())
	v.post(ctx, func() { v.finished(u, r, res, err, took) })
}

// stream writes audio into sess as the ring receives it, until the loop
// sends where the audio ends (returned as end) or ctx ends (end -1).
func (v *Voice) stream(ctx context.Context, r *recognition, sess asr.Session,
	from int64) (pos, end int64, err error) {
	buf := make([]int16, 4*media.SamplesPerFrame(media.PipelineRate))
	pos, end = from, -1
	for {
		limit := v.ring.written.Load()
		if end >= 0 {
			limit = min(limit, end)
		}
		for pos < limit {
			n := min(int64(len(buf)), limit-pos)
			if !v.ring.read(buf[:n], pos) {
				pos = max(pos, v.ring.oldest())
				continue
			}
			if err := sess.Write(buf[:n]); err != nil {
				return pos, -1, err
			}
			pos += n
		}
		if end >= 0 {
			return pos, end, nil
		}
		select {
		case <-ctx.Done():
			return pos, -1, nil
		case <-r.wake:
		case end = <-r.finishAt:
		}
	}
}

// finish asks u's recognition for its transcript of the audio the loop
// has seen.
func (v *Voice) finish(u *utterance) {
	u.rec.finishing = true
	u.rec.finishAt <- v.readPos
}

// feed tells the utterance's recognition that audio arrived.
func (v *Voice) feed() {
	if u := v.utt; u != nil && !u.rec.finishing {
		select {
		case u.rec.wake <- struct{}{}:
		default:
		}
	}
}

// finished takes a transcript, speculative or final.
func (v *Voice) finished(u *utterance, r *recognition, res asr.Result, err error,
	took time.Duration) {
	if !v.listening(u, r) {
		return
	}
	r.done, r.took, r.at = true, took, v.cfg.Now()
	if err != nil {
		v.recognitionFailed(u, r, "asr_finish", err)
		return
	}
	// An empty final after partials that proved an interruption keeps
	// the partial: the agent was cut for those words.
	if text := strings.TrimSpace(res.Text); text != "" || !u.confirmed {
		u.text = text
	}
	u.final = true
	v.log.Debug("transcript", "text", u.text, "speculative", !u.ended)
	if u.bargeIn && !u.confirmed && hasWords(u.text) {
		v.confirmBargeIn(u)
	}
	if u.ended {
		v.endTurn(u)
		return
	}
	v.adaptEndpoint(u)
}

// lastSaid is what the agent said last, context for the recognizer.
func (v *Voice) lastSaid() string {
	for i := len(v.history) - 1; i >= 0; i-- {
		if v.history[i].Role == "assistant" {
			return v.history[i].Content
		}
	}
	return ""
}

// language is the agent's language as a tag for the recognizer (primary
// subtag, "de") or the synthesizer ("de-DE"), or "" when the agent names
// it in words ("German") or not at all: the backends then use their own
// default or detect it.
func (v *Voice) language(primary bool) string {
	tag := v.cfg.Agent.Language
	parts := strings.Split(tag, "-")
	if len(parts[0]) < 2 || len(parts[0]) > 3 {
		return ""
	}
	for _, p := range parts {
		for _, r := range p {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) || r > unicode.MaxASCII {
				return ""
			}
		}
	}
	if primary {
		return strings.ToLower(parts[0])
	}
	return tag
}
