package dialog

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/tts"
)

// ttsChunk is how much audio a synthesis hands to the loop at a time.
const ttsChunk = 100 * time.Millisecond

// synthesize speaks sentence i of sp on a helper, handing its audio to
// the loop at the pipeline rate as it comes.
func (v *Voice) synthesize(sp *speech, i int) {
	text := sp.sentences[i].text
	v.goHelper(func() {
		err := v.synthesizeText(sp, i, text)
		v.post(v.ctx, func() { v.synthDone(sp, i, err) })
	})
}

// synthesizeText runs one synthesis to its end, or until sp is cut.
func (v *Voice) synthesizeText(sp *speech, i int, text string) error {
	start := v.cfg.Now()
	st, err := v.cfg.Synthesizer.Synthesize(sp.ctx, tts.Request{Text: text,
		Voice: v.cfg.Voice, Language: v.language(false)})
	if err != nil {
		return fmt.Errorf("synthesize: %w", err)
	}
	defer st.Close()

	rate := st.SampleRate()
	rs, err := media.NewResampler(rate, media.PipelineRate)
	if err != nil {
		return fmt.Errorf("synthesize: %w", err)
	}
	buf := make([]int16, int(int64(rate)*int64(ttsChunk)/int64(time.Second)))
	first := time.Duration(0)
	for {
		n, err := st.Read(buf)
		if n > 0 {
			if first == 0 {
				first = max(v.cfg.Now().Sub(start), time.Nanosecond)
			}
			pcm := make([]int16, rs.OutputLen(n))
			pcm = pcm[:rs.Resample(pcm, buf[:n])]
			took := first
			if !v.post(sp.ctx, func() { v.audioChunk(sp, i, pcm, took) }) {
				return sp.ctx.Err()
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("synthesize: read: %w", err)
		}
	}
}

// audioChunk queues audio of sentence i for the caller.
func (v *Voice) audioChunk(sp *speech, i int, pcm []int16, firstByte time.Duration) {
	if v.speech != sp {
		return
	}
	s := sp.sentences[i]
	if s.start < 0 {
		s.start = v.playout.End()
	}
	if sp.timing.ttsFirstByte == 0 {
		sp.timing.ttsFirstByte = firstByte
		sp.stageEvent(StageTTSFirstByte, v.cfg.Now(), firstByte)
	}
	v.playout.Enqueue(pcm)
	s.end = v.playout.End()
	v.progress()
}

// synthDone closes sentence i. A failed sentence is skipped: the rest of
// the speech goes on without it.
func (v *Voice) synthDone(sp *speech, i int, err error) {
	if v.speech != sp {
		return
	}
	s := sp.sentences[i]
	s.done, sp.busy = true, false
	if s.start < 0 {
		s.start = v.playout.End()
		s.end = s.start
	}
	if err != nil && sp.ctx.Err() == nil {
		v.metrics.failures.WithLabelValues("tts").Inc()
		v.log.Warn("speech synthesis failed", "err", err)
	}
	v.progress()
}
