package dialog

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/tts"
)

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fakeLine is a Line over a real playout, which the test's phone drains.
type fakeLine struct {
	playout     *media.Playout
	transferErr error

	mu        sync.Mutex // guards the fields below
	transfers []string
	hangups   int
	// pendingAtHangup is how much audio was still queued at Hangup.
	pendingAtHangup time.Duration
	hangupAt        time.Time
}

func (l *fakeLine) Playout() *media.Playout { return l.playout }

func (l *fakeLine) Transfer(_ context.Context, target string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.transfers = append(l.transfers, target)
	return l.transferErr
}

func (l *fakeLine) Hangup(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hangups++
	l.pendingAtHangup = l.playout.Pending()
	l.hangupAt = time.Now()
	return nil
}

// fakeTTS speaks every text as a constant tone whose value names the
// text (id*100), 250 ms per word, after a fixed delay.
type fakeTTS struct {
	rate    int
	delay   time.Duration
	perWord time.Duration
	fail    bool

	mu    sync.Mutex // guards the fields below
	ids   map[string]int16
	texts []string // by id-1
}

func newFakeTTS() *fakeTTS {
	return &fakeTTS{rate: 16000, delay: 60 * time.Millisecond, perWord: 250 * time.Millisecond,
		ids: map[string]int16{}}
}

// id numbers text, the same for every request of the same text.
func (f *fakeTTS) id(text string) int16 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.ids[text]; ok {
		return id
	}
	f.texts = append(f.texts, text)
	f.ids[text] = int16(len(f.texts))
	return f.ids[text]
}

// text returns the text of id.
func (f *fakeTTS) text(id int16) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id < 1 || int(id) > len(f.texts) {
		return ""
	}
	return f.texts[id-1]
}

// samples is how long the fake speaks text, at 16 kHz.
func (f *fakeTTS) samples(text string) int {
	return len(strings.Fields(text)) * int(f.perWord) * 16000 / int(time.Second)
}

func (f *fakeTTS) Synthesize(ctx context.Context, req tts.Request) (tts.Stream, error) {
	if f.fail {
		return nil, errors.New("fake tts down")
	}
	id := f.id(req.Text)
	if err := sleepCtx(ctx, f.delay); err != nil {
		return nil, err
	}
	n := len(strings.Fields(req.Text)) * int(f.perWord) * f.rate / int(time.Second)
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = id * 100
	}
	return tts.NewPCMStream(f.rate, pcm), nil
}

// fakeASR transcribes the caller's current utterance, as the test's phone
// names it, emitting partials as its audio comes in.
type fakeASR struct {
	finishDelay time.Duration

	mu      sync.Mutex // guards the fields below
	current string     // the transcript of what the caller says now
	length  int        // its audio's length in samples
	starts  int
}

// Transcript markers that make a fake session fail.
const (
	failStart  = "<fail start>"
	failFinish = "<fail finish>"
	hangFinish = "<hang finish>"
)

func (f *fakeASR) say(text string, samples int) {
	f.mu.Lock()
	f.current, f.length = text, samples
	f.mu.Unlock()
}

func (f *fakeASR) Start(_ context.Context, opts asr.Options) (asr.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts++
	if f.current == failStart {
		return nil, errors.New("fake asr refused")
	}
	return &fakeSession{f: f, text: f.current, total: max(f.length, 1),
		onPartial: opts.OnPartial}, nil
}

type fakeSession struct {
	f         *fakeASR
	text      string
	total     int
	written   int
	shown     int
	onPartial func(string)
}

func (s *fakeSession) Write(pcm []int16) error {
	s.written += len(pcm)
	if strings.HasPrefix(s.text, "<") {
		return nil
	}
	if k, text := s.heard(); k > s.shown && s.onPartial != nil {
		s.shown = k
		s.onPartial(text)
	}
	return nil
}

// heard is the transcript of the audio written so far: the scripted
// words in proportion, rounded up.
func (s *fakeSession) heard() (int, string) {
	ws := strings.Fields(s.text)
	k := min(len(ws), (len(ws)*s.written+s.total-1)/s.total)
	return k, strings.Join(ws[:k], " ")
}

func (s *fakeSession) Finish(ctx context.Context) (asr.Result, error) {
	switch s.text {
	case failFinish:
		return asr.Result{}, errors.New("fake asr failed")
	case hangFinish:
		<-ctx.Done()
		return asr.Result{}, ctx.Err()
	}
	if err := sleepCtx(ctx, s.f.finishDelay); err != nil {
		return asr.Result{}, err
	}
	_, text := s.heard()
	return asr.Result{Text: text, Backend: "fake"}, nil
}

func (s *fakeSession) Close() error { return nil }

// fakeReplier answers from a script: each answer streams word by word
// after a first-token delay, optionally calling a tool first.
type fakeReplier struct {
	firstToken time.Duration
	perWord    time.Duration
	// answers maps a word of the question to the answer; def answers the
	// rest.
	answers map[string]string
	def     string
	// tools maps a word of the question to the tool to call.
	tools map[string]string
	fail  bool

	mu        sync.Mutex // guards the fields below
	reqs      []Request
	cancelled int
	toolOut   []string
}

func (f *fakeReplier) Reply(ctx context.Context, req Request, onDelta func(string) error) (Result, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	q := strings.ToLower(req.Messages[len(req.Messages)-1].Content)
	if err := sleepCtx(ctx, f.firstToken); err != nil {
		return f.cancel(err)
	}
	if f.fail {
		return Result{}, errors.New("fake llm down")
	}
	if err := f.callTool(ctx, req, q); err != nil {
		return f.cancel(err)
	}

	text := f.def
	for k, a := range f.answers {
		if strings.Contains(q, k) {
			text = a
		}
	}
	for i, w := range strings.Fields(text) {
		if i > 0 {
			w = " " + w
		}
		if err := onDelta(w); err != nil {
			return f.cancel(err)
		}
		if err := sleepCtx(ctx, f.perWord); err != nil {
			return f.cancel(err)
		}
	}
	return Result{Text: text, Mode: ModeLLM, Latency: map[string]float64{"retrieval": 5}}, nil
}

func (f *fakeReplier) callTool(ctx context.Context, req Request, q string) error {
	for k, name := range f.tools {
		if !strings.Contains(q, k) {
			continue
		}
		for _, t := range req.Tools {
			if t.Name() == name {
				out, err := t.Call(ctx, []byte(`{}`))
				f.mu.Lock()
				f.toolOut = append(f.toolOut, out)
				f.mu.Unlock()
				if err != nil {
					return err
				}
			}
		}
		// A model goes on after a tool; the controller cuts it short.
		return sleepCtx(ctx, time.Second)
	}
	return nil
}

func (f *fakeReplier) cancel(err error) (Result, error) {
	f.mu.Lock()
	f.cancelled++
	f.mu.Unlock()
	return Result{}, err
}

func (f *fakeReplier) requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.reqs...)
}
