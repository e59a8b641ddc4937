package dialog

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/store"
	"github.com/voiced/voiced/tts"
	"github.com/voiced/voiced/vad"
)

// Line is what a transport (a SIP call, a WebRTC session) offers the turn
// controller: the queue its clock plays to the caller, and the two ways a
// call ends from our side. sip.Call implements it.
type Line interface {
	// Playout is the queue of agent audio at media.PipelineRate. The
	// controller is the only one to enqueue while it runs.
	Playout() *media.Playout
	// Transfer hands the caller to target and returns nil once the
	// transfer succeeded (the call is then over), or an error while the
	// call goes on.
	Transfer(ctx context.Context, target string) error
	// Hangup ends the call.
	Hangup(ctx context.Context) error
}

// Replier answers one user turn, streaming the answer's text through
// onDelta. *Engine implements it.
type Replier interface {
	Reply(ctx context.Context, req Request, onDelta func(delta string) error) (Result, error)
}

// SpeechDetector turns a call's audio into speech events. *vad.Detector
// implements it.
type SpeechDetector interface {
	// Push takes the next 20 ms frame and returns the events it
	// completed; the slice is reused by the next Push.
	Push(pcm []int16) ([]vad.Event, error)
	// SetMinSilence sets how long quiet must last before SpeechEnd; zero
	// restores the detector's default.
	SetMinSilence(d time.Duration)
}

// VoiceConfig configures one call's turn controller. Line, Replier,
// Recognizer, Synthesizer and NewDetector are required; every other zero
// value means the default given with it.
type VoiceConfig struct {
	Line        Line
	Replier     Replier
	Recognizer  asr.Recognizer
	Synthesizer tts.Synthesizer
	// NewDetector makes the call's speech detector, usually a
	// vad.NewDetector on the process's shared vad.Model.
	NewDetector func() (SpeechDetector, error)

	// Store receives the call's turns under ConversationID, which the
	// transport created; nil (or an empty ID) stores nothing.
	Store          store.Store
	TenantID       string
	Agent          Agent
	ConversationID string
	// Channel is passed to Reply ("sip" or "web").
	Channel string
	// Codec names the transport's audio codec ("PCMU", "opus"), for the
	// call's span.
	Codec string
	// CallStart is when the caller's audio (and the recording) starts:
	// turns are stamped CallStart plus their offset in the audio pushed,
	// so that transcripts line up with the recording. Zero means Now at
	// NewVoice.
	CallStart time.Time
	// Voice is the synthesizer's voice; empty means its default.
	Voice string
	// Prompts are the sentences the controller speaks on its own.
	Prompts VoicePrompts
	// Endpointing tunes how long the caller's silence ends a turn.
	Endpointing Endpointing

	// RepromptAfter is how long the caller may stay silent after the
	// agent spoke before Prompts.Reprompt (default 8 s).
	RepromptAfter time.Duration
	// MaxReprompts is how many reprompts go unanswered before
	// Prompts.Goodbye and hang-up (default 2; negative means none).
	MaxReprompts int
	// MaxCallLength ends the call with Prompts.TimeLimit (default 1 h).
	MaxCallLength time.Duration
	// TransferDigit, pressed alone, transfers the caller to
	// Agent.TransferTarget (default '0').
	TransferDigit rune
	// DigitTimeout ends a DTMF entry without '#' (default 2 s).
	DigitTimeout time.Duration
	// ASRTimeout bounds opening a recognition and waiting for its
	// transcript (default 3 s), so that a stuck recognizer leaves the
	// caller without an answer for no longer.
	ASRTimeout time.Duration

	// Logger receives the call's lines; set call_id on it (default:
	// discard).
	Logger *slog.Logger
	// Registerer receives the voice metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// TracerProvider receives the call's span and a span per turn; nil
	// traces nothing.
	TracerProvider trace.TracerProvider
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// VoicePrompts are the sentences the controller speaks without the
// model. Empty fields take the English defaults.
type VoicePrompts struct {
	// Reprompt is said after RepromptAfter of silence.
	Reprompt string
	// Goodbye ends the call after the last unanswered reprompt, and is
	// what the end_call tool says.
	Goodbye string
	// TimeLimit ends a call that reached MaxCallLength.
	TimeLimit string
	// NotHeard is said when recognition failed.
	NotHeard string
	// Failure is said when no answer could be produced.
	Failure string
	// Handover is said before a transfer.
	Handover string
	// TransferFailed is said when a transfer did not go through.
	TransferFailed string
}

// Endpointing says how long the caller's silence must last before the
// turn is theirs no more, by what the transcript so far looks like.
// Zero fields take the defaults.
type Endpointing struct {
	// Complete follows a finished sentence ("...open on Sunday?"),
	// default 300 ms.
	Complete time.Duration
	// Default follows anything else, default 600 ms.
	Default time.Duration
	// Incomplete follows a trailing "and", "or", "but", or a filler such
	// as "um", default 1.2 s.
	Incomplete time.Duration
	// Digits follows a number being spelled, default 1.5 s.
	Digits time.Duration
}

// Defaults of VoiceConfig.
const (
	DefaultRepromptAfter = 8 * time.Second
	DefaultMaxReprompts  = 2
	DefaultMaxCallLength = time.Hour
	DefaultDigitTimeout  = 2 * time.Second
	DefaultASRTimeout    = 3 * time.Second
)

// fill checks c and sets its defaults.
func (c *VoiceConfig) fill() error {
	switch {
	case c.Line == nil || c.Line.Playout() == nil:
		return fmt.Errorf("%w: line", ErrVoiceConfig)
	case c.Replier == nil:
		return fmt.Errorf("%w: replier", ErrVoiceConfig)
	case c.Recognizer == nil:
		return fmt.Errorf("%w: recognizer", ErrVoiceConfig)
	case c.Synthesizer == nil:
		return fmt.Errorf("%w: synthesizer", ErrVoiceConfig)
	case c.NewDetector == nil:
		return fmt.Errorf("%w: detector", ErrVoiceConfig)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.CallStart.IsZero() {
		c.CallStart = c.Now()
	}
	c.RepromptAfter = orDuration(c.RepromptAfter, DefaultRepromptAfter)
	c.MaxCallLength = orDuration(c.MaxCallLength, DefaultMaxCallLength)
	c.DigitTimeout = orDuration(c.DigitTimeout, DefaultDigitTimeout)
	c.ASRTimeout = orDuration(c.ASRTimeout, DefaultASRTimeout)
	switch {
	case c.MaxReprompts == 0:
		c.MaxReprompts = DefaultMaxReprompts
	case c.MaxReprompts < 0:
		c.MaxReprompts = 0
	}
	if c.TransferDigit == 0 {
		c.TransferDigit = '0'
	}
	c.Prompts.fill()
	c.Endpointing.fill()
	return nil
}

func (p *VoicePrompts) fill() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&p.Reprompt, "Are you still there?")
	def(&p.Goodbye, "Thank you for calling. Goodbye!")
	def(&p.TimeLimit, "I'm sorry, we have reached the time limit for this call. Goodbye!")
	def(&p.NotHeard, "Sorry, I didn't catch that. Could you say it again?")
	def(&p.Failure, "Sorry, something went wrong on my side. Could you ask me again?")
	def(&p.Handover, "One moment please, I'm connecting you with a colleague.")
	def(&p.TransferFailed, "I'm sorry, I couldn't reach a colleague right now. How else can I help?")
}

func (e *Endpointing) fill() {
	e.Complete = orDuration(e.Complete, 300*time.Millisecond)
	e.Default = orDuration(e.Default, 600*time.Millisecond)
	e.Incomplete = orDuration(e.Incomplete, 1200*time.Millisecond)
	e.Digits = orDuration(e.Digits, 1500*time.Millisecond)
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
