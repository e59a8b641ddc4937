package dialog

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Names of the tools a voice call offers the model.
const (
	ToolTransferToHuman = "transfer_to_human"
	ToolEndCall         = "end_call"
)

// callTool is a tool that ends the answer with a fixed sentence and then
// acts on the call. Call only asks the loop to do so and returns at once.
type callTool struct {
	v           *Voice
	name        string
	description string
	result      string
	// act runs on the loop with the answer that called the tool.
	act func(sp *speech)
}

// callTools are the tools of this call: end_call always, and
// transfer_to_human when the agent has a transfer target.
func (v *Voice) callTools() []Tool {
	tools := []Tool{&callTool{v: v, name: ToolEndCall,
		description: "End the phone call. Use it when the caller says goodbye or has " +
			"nothing more to ask. A goodbye is spoken for you: do not write one.",
		result: "The call ends after the goodbye.",
		act: func(sp *speech) {
			v.closing = true
			v.endAnswer(sp, v.cfg.Prompts.Goodbye, v.hangupNow)
		}}}
	if v.cfg.Agent.TransferTarget != "" {
		tools = append(tools, &callTool{v: v, name: ToolTransferToHuman,
			description: "Transfer the caller to a human colleague. Use it when the caller " +
				"asks for a person, or when you cannot help. A hand-over sentence is " +
				"spoken for you: do not write one.",
			result: "The caller is being transferred.",
			act: func(sp *speech) {
				v.endAnswer(sp, v.cfg.Prompts.Handover, v.transfer)
			}})
	}
	return tools
}

func (t *callTool) Name() string        { return t.name }
func (t *callTool) Description() string { return t.description }
func (t *callTool) Parameters() json.RawMessage {
	return json.RawMessage(`{"type":"object","properties":{}}`)
}

// Call hands the action to the loop. It knows its answer from ctx, which
// the controller gave the Replier.
func (t *callTool) Call(ctx context.Context, _ json.RawMessage) (string, error) {
	sp, _ := ctx.Value(speechKey{}).(*speech)
	if sp == nil {
		return "", errors.New("no voice call to act on")
	}
	if !t.v.post(ctx, func() {
		if t.v.speech == sp && !sp.textDone {
			t.act(sp)
		}
	}) {
		return "", context.Cause(ctx)
	}
	return t.result, nil
}

// endAnswer stops the model writing, closes the answer with text and
// runs after once all of it was heard.
func (v *Voice) endAnswer(sp *speech, text string, after func()) {
	sp.cancelReply()
	v.addSentence(sp, text)
	sp.textDone, sp.after = true, after
	v.progress()
}

// transfer hands the caller to the agent's transfer target.
func (v *Voice) transfer() {
	v.closing = true
	target := v.cfg.Agent.TransferTarget
	v.log.Info("transferring call", "target", target)
	v.goHelper(func() {
		err := v.cfg.Line.Transfer(v.ctx, target)
		v.post(v.ctx, func() { v.transferred(err) })
	})
}

// transferred ends the loop after a transfer, or apologizes and goes on.
func (v *Voice) transferred(err error) {
	if err == nil {
		v.log.Info("call transferred")
		v.done = true
		return
	}
	v.closing = false
	v.metrics.failures.WithLabelValues("transfer").Inc()
	v.log.Warn("transfer failed", "err", err)
	v.say(v.cfg.Prompts.TransferFailed, ModePrompt, nil)
}

// hangupNow ends the call from our side.
func (v *Voice) hangupNow() {
	v.closing = true
	v.goHelper(func() {
		err := v.cfg.Line.Hangup(v.ctx)
		v.post(v.ctx, func() {
			if err != nil {
				v.log.Warn("hang-up failed", "err", err)
			}
			v.done = true
		})
	})
}

// closeCall says text, whatever else was going on, and hangs up.
func (v *Voice) closeCall(text string) {
	v.closing = true
	v.dropUtterances()
	v.say(text, ModePrompt, v.hangupNow)
}

// onSilence reprompts a silent caller, and gives up after MaxReprompts.
func (v *Voice) onSilence() {
	if v.reprompts >= v.cfg.MaxReprompts {
		v.log.Info("caller silent, ending the call")
		v.closeCall(v.cfg.Prompts.Goodbye)
		return
	}
	v.reprompts++
	v.say(v.cfg.Prompts.Reprompt, ModePrompt, nil)
}

// onDigit collects a key press; '#' or DigitTimeout ends the entry.
func (v *Voice) onDigit(d rune) {
	if v.closing {
		return
	}
	if d == '#' {
		v.digitsDone()
		return
	}
	if len(v.digits) == 0 {
		v.digitsAt = v.streamTime(v.ring.written.Load())
	}
	v.digits = append(v.digits, d)
	v.digitLast = v.cfg.Now()
	v.digitGap.start(v.cfg.DigitTimeout)
}

// digitsDone takes the keys pressed as the caller's message ("1 2 3"),
// or, for the transfer digit alone, as a request for a human.
func (v *Voice) digitsDone() {
	v.digitGap.stop()
	if len(v.digits) == 0 {
		return
	}
	keys := make([]string, len(v.digits))
	for i, d := range v.digits {
		keys[i] = string(d)
	}
	v.digits = v.digits[:0]
	text := strings.Join(keys, " ")
	v.log.Debug("dtmf entry", "keys", text)

	if text == string(v.cfg.TransferDigit) && v.cfg.Agent.TransferTarget != "" {
		v.say(v.cfg.Prompts.Handover, ModePrompt, v.transfer)
		return
	}
	bargeIn := v.speech != nil
	if bargeIn {
		v.cut(true)
	}
	v.answer(&userTurn{text: text, at: v.digitsAt, lastSpeech: v.digitLast,
		endAt: v.cfg.Now(), keys: true, bargeIn: bargeIn})
}

// userTurn is the caller's side of a turn.
type userTurn struct {
	text       string
	at         time.Time // call time they began
	lastSpeech time.Time // when they last spoke (or pressed a key)
	endAt      time.Time // when their turn was decided over
	asr        time.Duration
	asrAt      time.Time // when the transcript came
	keys       bool      // typed on the keypad
	bargeIn    bool      // they interrupted the agent
}
