package dialog

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/store"
	"github.com/voiced/voiced/vad"
)

var (
	loadDuration = flag.Duration("voiceload.duration", 20*time.Second,
		"call time each BenchmarkTurnOverhead run simulates")
	loadSpread = flag.Duration("voiceload.spread", media.FrameDuration,
		"random extra first-token latency per turn, known and subtracted: it spreads the "+
			"answers' phase against the 20 ms clock as model servers of varying latency do")
	loadVADLanes = flag.Int("voiceload.vadlanes", 0,
		"vad.ModelConfig.Concurrency of the shared Silero model (0: its default, as voiced runs it)")
)

// The fake model servers' fixed latencies, and what the caller says.
const (
	loadASRFinish  = 100 * time.Millisecond // Finish to transcript
	loadFirstToken = 200 * time.Millisecond // Reply to first text, plus the spread
	loadTTSFirst   = 80 * time.Millisecond  // Synthesize to first audio
	loadQuestion   = "Can I pay with a credit card?"
	loadAnswer     = "Yes, you can pay by card."
	// loadGiveUp is how long a caller waits for the agent before
	// speaking anyway.
	loadGiveUp = 6 * time.Second
)

// BenchmarkTurnOverhead200 is the product's goal: per-turn server
// overhead with 200 concurrent calls heard by the real Silero VAD.
func BenchmarkTurnOverhead200(b *testing.B) { benchmarkTurnOverhead(b, 200, "silero") }

// BenchmarkTurnOverhead runs concurrent calls in real time against fake
// model servers of fixed latency, each caller asking a question every few
// seconds, and reports the server's overhead per turn (p50-ms, p99-ms,
// max-ms): from the controller's decision that the caller's turn ended
// (the detector's SpeechEnd reaching the loop) to the clock taking the
// answer's first sample, less what the answer's path waited on the fake
// model servers: the part of the recognizer's 100 ms that came after the
// decision, the model's 200 ms to its first token plus the turn's spread,
// and the synthesizer's 80 ms to its first audio. The overhead includes
// the wait for the next 20 ms tick (0-20 ms); p99-to-enqueue-ms leaves it
// out, and p99-decide-ms is how long after the clock pushed the turn's
// last frame the decision came. With vad=energy the cheap detector of
// the tests replaces Silero, so that what remains is the controller's
// own cost. The log breaks the overhead into its stages.
func BenchmarkTurnOverhead(b *testing.B) {
	for _, det := range []string{"silero", "energy"} {
		for _, n := range []int{1, 50, 200} {
			b.Run(fmt.Sprintf("vad=%s/calls=%d", det, n), func(b *testing.B) {
				benchmarkTurnOverhead(b, n, det)
			})
		}
	}
}

func benchmarkTurnOverhead(b *testing.B, calls int, detector string) {
	cfg := loadConfig{calls: calls, duration: *loadDuration, spread: *loadSpread}
	cfg.speech = loadSpeech(b)
	if detector == "silero" {
		if !sileroReady() {
			b.Skip("silero or flite missing (scripts/setup.sh installs them)")
		}
		m, err := vad.NewModel(vad.ModelConfig{Concurrency: *loadVADLanes})
		if err != nil {
			b.Fatalf("vad model: %v", err)
		}
		defer m.Close()
		cfg.model = m
	}

	// One run of -voiceload.duration is the measurement, whatever
	// -benchtime asks: the loop's further iterations do nothing, so that
	// -benchtime 200x over the package does not make hours of calls.
	var res *loadResult
	b.ReportAllocs()
	for b.Loop() {
		if res == nil {
			r := runTurnLoad(b, cfg)
			res = &r
		}
	}
	res.report(b)
}

// loadConfig is one run of the load.
type loadConfig struct {
	calls    int
	duration time.Duration
	spread   time.Duration
	speech   []int16
	model    *vad.Model // nil: energyDetector
}

// loadSpeech is the caller's question: flite's voice when it is
// installed, else the tone callerSpeech falls back to (which Silero does
// not take for speech, so the Silero runs then skip).
func loadSpeech(b *testing.B) []int16 {
	b.Helper()
	if _, err := exec.LookPath("flite"); err != nil {
		pcm := make([]int16, len(strings.Fields(loadQuestion))*16000*3/10)
		for i := range pcm {
			pcm[i] = int16(6000 * math.Sin(2*math.Pi*220*float64(i)/16000))
		}
		return pcm
	}
	path := filepath.Join(b.TempDir(), "question.wav")
	cmd := exec.Command("flite", "-voice", "slt", "-t", loadQuestion, "-o", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("flite: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w, err := media.ReadWAV(f)
	if err != nil || w.Rate != media.PipelineRate {
		b.Fatalf("flite wav: %v (rate %d)", err, w.Rate)
	}
	loud := func(s int16) bool { return s > 300 || s < -300 }
	first, last := max(slices.IndexFunc(w.Samples, loud), 0), len(w.Samples)
	for last > first && !loud(w.Samples[last-1]) {
		last--
	}
	return w.Samples[first:last]
}

// runTurnLoad runs cfg.calls controllers for cfg.duration and returns
// their answered turns.
func runTurnLoad(b *testing.B, cfg loadConfig) loadResult {
	b.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "voiced.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.EnsureTenant(ctx, store.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		b.Fatal(err)
	}

	l := &turnLoad{cfg: cfg, frames: int(cfg.duration/media.FrameDuration) + 1}
	synth := newFakeTTS()
	synth.rate, synth.delay = 24000, loadTTSFirst // resampled to 16 kHz as most backends are
	reg := prometheus.NewRegistry()
	for i := range cfg.calls {
		l.calls = append(l.calls, l.newCall(b, i, st, synth, reg))
	}

	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, c := range l.calls {
		wg.Go(func() {
			if err := c.v.Run(runCtx); err != nil {
				b.Errorf("call %d: Run: %v", c.id, err)
			}
		})
	}
	var before vad.Stats
	if cfg.model != nil {
		before = cfg.model.Stats()
	}
	began, cpu := time.Now(), loadCPU(b)
	hostBusy, hostAll := hostCPU()
	l.clock(runCtx)
	res := loadResult{wall: time.Since(began), cpu: loadCPU(b) - cpu, late: l.late,
		maxLag: l.maxLag}
	if busy, all := hostCPU(); all > hostAll {
		res.host = float64(busy-hostBusy) / float64(all-hostAll) * float64(runtime.NumCPU())
	}
	cancel()
	wg.Wait()

	if cfg.model != nil {
		after := cfg.model.Stats()
		res.windows, res.batches = after.Windows-before.Windows, after.Batches-before.Batches
	}
	for _, c := range l.calls {
		res.collect(b, c, st)
	}
	return res
}

// loadCPU is the process's user and system time so far.
func loadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// hostCPU reads the machine's busy and total CPU time from /proc/stat,
// in clock ticks; zeros where there is none. Other processes' share of
// the machine during a run tells whether its numbers are its own.
func hostCPU() (busy, total uint64) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0
	}
	for i, f := range fields[1:] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0
		}
		if i < 8 { // guest time is counted in user time already
			total += n
		}
		if i != 3 && i != 4 && i < 8 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

// turnLoad is the calls of one run and the clock that drives them.
type turnLoad struct {
	cfg    loadConfig
	frames int // how many ticks the run lasts
	calls  []*loadCall

	// Owned by clock.
	late   int // ticks that began more than a frame late
	maxLag time.Duration
}

// clock stands in for media.Clock: every 20 ms, on a schedule that does
// not drift, it takes a frame of every call's playout and pushes a frame
// of every caller's audio, for l.frames ticks.
func (l *turnLoad) clock(ctx context.Context) {
	out := make([]int16, media.SamplesPerFrame(media.PipelineRate))
	in := make([]int16, len(out))
	timer := time.NewTimer(media.FrameDuration)
	defer timer.Stop()
	start := time.Now()
	for n := 1; n <= l.frames; n++ {
		due := start.Add(time.Duration(n) * media.FrameDuration)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		lag := time.Since(due)
		l.maxLag = max(l.maxLag, lag)
		if lag > media.FrameDuration {
			l.late++
		}
		for _, c := range l.calls {
			c.tick(out, in)
		}
	}
}

// newCall makes call i's controller on fakes that time the turn.
func (l *turnLoad) newCall(b *testing.B, i int, st store.Store, synth *fakeTTS,
	reg prometheus.Registerer) *loadCall {
	b.Helper()
	c := &loadCall{id: i, line: &fakeLine{playout: media.NewPlayout()},
		speech: l.cfg.speech, spread: l.cfg.spread, pushAt: make([]atomic.Int64, l.frames),
		rng: rand.New(rand.NewPCG(uint64(i), 7))}
	c.gap = c.rng.IntN(frameTicks(3 * time.Second)) // staggers the first questions
	rec := &fakeASR{finishDelay: loadASRFinish}
	rec.say(loadQuestion, len(c.speech))

	newDetector := func() (SpeechDetector, error) {
		if l.cfg.model == nil {
			return &loadDetector{&energyDetector{}, c}, nil
		}
		d, err := vad.NewDetector(l.cfg.model, vad.Config{})
		return &loadDetector{d, c}, err
	}
	id := fmt.Sprintf("call-%d", i)
	if err := st.CreateConversation(context.Background(),
		store.Conversation{ID: id, TenantID: "acme", Channel: "sip"}); err != nil {
		b.Fatal(err)
	}
	v, err := NewVoice(VoiceConfig{Line: c.line, Replier: loadReplier{c},
		Recognizer: loadRecognizer{rec, c}, Synthesizer: loadSynthesizer{synth, c},
		NewDetector: newDetector, Store: st, TenantID: "acme", ConversationID: id,
		Agent: Agent{Name: "helper", Greeting: "Hello, how can I help?"}, Channel: "sip",
		RepromptAfter: time.Minute, Registerer: reg})
	if err != nil {
		b.Fatal(err)
	}
	c.v = v
	return c
}

// loadCall is one call of the load: its caller, run by the clock, and
// the timing of its turns, taken by the fakes.
type loadCall struct {
	id     int
	v      *Voice
	line   *fakeLine
	speech []int16
	spread time.Duration
	// pushAt[i] is when the clock pushed frame i (Unix nanoseconds).
	pushAt []atomic.Int64

	// The fields below belong to the clock.
	rng     *rand.Rand
	frame   int     // frames pushed
	left    []int16 // the rest of the question being asked
	agentOn bool    // the last tick played agent audio
	heard   bool    // the agent spoke since the caller's last question
	quiet   int     // ticks of the agent's silence in a row
	waited  int     // ticks since the caller's last question
	gap     int     // ticks of the agent's silence before the next question

	mu         sync.Mutex // guards the fields below
	turn       *loadTurn  // the turn awaiting its answer
	lastFinish time.Time  // when the recognizer was last asked for a transcript
	turns      []*loadTurn
	dropped    int // turns that ended without a timed answer
}

// tick is one 20 ms of the call: the clock takes the agent's frame and
// the caller says the next one.
func (c *loadCall) tick(out, in []int16) {
	n := c.line.playout.Read(out)
	now := time.Now()
	switch {
	case n > 0 && !c.agentOn:
		c.agentOn, c.heard, c.quiet = true, true, 0
		c.answered(now)
	case n > 0:
		c.quiet = 0
	default:
		c.agentOn = false
		c.quiet++
	}

	clear(in)
	c.waited++
	if len(c.left) == 0 && ((c.heard && c.quiet >= c.gap) || c.waited >= frameTicks(loadGiveUp)) {
		c.left, c.heard, c.waited = c.speech, false, 0
		c.gap = frameTicks(300*time.Millisecond) + c.rng.IntN(frameTicks(700*time.Millisecond))
	}
	k := copy(in, c.left)
	c.left = c.left[k:]

	if c.frame < len(c.pushAt) {
		c.pushAt[c.frame].Store(now.UnixNano())
	}
	c.frame++
	c.v.PushAudio(in)
}

// loadResult is what a run of the load measured.
type loadResult struct {
	turns   []*loadTurn
	dropped int
	stored  []float64 // first_reply_packet of the stored answers, ms
	wall    time.Duration
	cpu     time.Duration
	host    float64 // cores the whole machine used, 0 if unknown
	late    int
	maxLag  time.Duration
	windows uint64
	batches uint64
}

// collect takes c's timed turns and its stored answers' latencies.
func (r *loadResult) collect(b *testing.B, c *loadCall, st store.Store) {
	c.mu.Lock()
	r.turns = append(r.turns, c.turns...)
	r.dropped += c.dropped
	c.mu.Unlock()

	_, turns, err := st.Conversation(context.Background(), "acme", fmt.Sprintf("call-%d", c.id))
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range turns {
		if ms, ok := t.Latency[StageFirstReplyPacket]; ok && t.Mode == ModeLLM {
			r.stored = append(r.stored, ms)
		}
	}
}

// loadStages are the pieces of a turn's overhead, which add up to it,
// and how each is computed from a loadTurn. The model servers' fixed
// waits are left out of the pieces they fall in.
var loadStages = []struct {
	name string
	d    func(t *loadTurn) time.Duration
}{
	{"end→reply", func(t *loadTurn) time.Duration {
		return t.replyAt.Sub(t.endAt) - asrOnPath(t)
	}},
	{"llm overshoot", func(t *loadTurn) time.Duration {
		return t.firstToken.Sub(t.replyAt) - t.llmWait
	}},
	{"token→synthesize", func(t *loadTurn) time.Duration { return t.synthAt.Sub(t.firstToken) }},
	{"tts overshoot", func(t *loadTurn) time.Duration {
		return t.ttsData.Sub(t.synthAt) - loadTTSFirst
	}},
	{"audio→enqueued", func(t *loadTurn) time.Duration { return enqueuedAt(t).Sub(t.ttsData) }},
	{"enqueued→played", func(t *loadTurn) time.Duration { return t.readAt.Sub(enqueuedAt(t)) }},
}

// asrOnPath is the part of the fake recognizer's fixed wait that came
// after the end of the turn: none when the speculative transcript, asked
// for at the caller's pause, was back before it; all of it when the
// recognizer was asked at the end.
func asrOnPath(t *loadTurn) time.Duration {
	return min(max(t.finishStart.Add(loadASRFinish).Sub(t.endAt), 0), loadASRFinish)
}

// modelWaits is what the turn's path spent waiting on the fake model
// servers: their fixed latencies, less the recognizer's share before the
// end of the turn.
func modelWaits(t *loadTurn) time.Duration { return asrOnPath(t) + t.llmWait + loadTTSFirst }

// overhead is the turn's server overhead: end of turn to first reply
// sample played, less the model waits.
func overhead(t *loadTurn) time.Duration { return t.readAt.Sub(t.endAt) - modelWaits(t) }

// enqueuedAt is when the answer's first audio was on the playout: the
// marker's time, or the first read if the clock took it before the
// marker ran.
func enqueuedAt(t *loadTurn) time.Time {
	if t.enqAt.After(t.readAt) {
		return t.readAt
	}
	return t.enqAt
}

// report publishes the percentiles and logs the breakdown.
func (r *loadResult) report(b *testing.B) {
	if len(r.turns) == 0 {
		b.Fatalf("no turn was answered in %v (%d dropped); a question and its answer "+
			"take about 5 s of -voiceload.duration", r.wall.Round(time.Second), r.dropped)
	}
	ms := func(f func(*loadTurn) time.Duration) []float64 {
		out := make([]float64, len(r.turns))
		for i, t := range r.turns {
			out[i] = float64(f(t)) / float64(time.Millisecond)
		}
		slices.Sort(out)
		return out
	}
	over := ms(overhead)
	proc := ms(func(t *loadTurn) time.Duration { return enqueuedAt(t).Sub(t.endAt) - modelWaits(t) })
	decide := ms(func(t *loadTurn) time.Duration { return t.endAt.Sub(t.pushedAt) })
	fromPush := ms(func(t *loadTurn) time.Duration { return overhead(t) + t.endAt.Sub(t.pushedAt) })
	asrWait := ms(asrOnPath)
	slices.Sort(r.stored)

	b.ReportMetric(pct(over, 50), "p50-ms")
	b.ReportMetric(pct(over, 99), "p99-ms")
	b.ReportMetric(over[len(over)-1], "max-ms")
	b.ReportMetric(pct(proc, 99), "p99-to-enqueue-ms")
	b.ReportMetric(pct(decide, 99), "p99-decide-ms")
	b.ReportMetric(pct(fromPush, 99), "p99-from-push-ms")
	b.ReportMetric(float64(len(r.turns)), "turns")
	cores := float64(r.cpu) / float64(r.wall)
	b.ReportMetric(cores, "cores")
	if r.host > 0 {
		b.ReportMetric(max(r.host-cores, 0), "other-cores")
	}
	if r.batches > 0 {
		b.ReportMetric(float64(r.windows)/float64(r.batches), "vad-windows/run")
	}

	b.Logf("%d turns answered, %d without a timed answer; clock: %d late ticks, max lag %v",
		len(r.turns), r.dropped, r.late, r.maxLag.Round(time.Microsecond))
	b.Logf("overhead to first sample played: p50 %.2f p99 %.2f max %.2f ms; to enqueue: "+
		"p50 %.2f p99 %.2f max %.2f ms", pct(over, 50), pct(over, 99), over[len(over)-1],
		pct(proc, 50), pct(proc, 99), proc[len(proc)-1])
	b.Logf("push of the ending frame→decided: p50 %.2f p99 %.2f max %.2f ms; overhead from "+
		"that push: p50 %.2f p99 %.2f max %.2f ms", pct(decide, 50), pct(decide, 99),
		decide[len(decide)-1], pct(fromPush, 50), pct(fromPush, 99), fromPush[len(fromPush)-1])
	b.Logf("recognizer wait on the path (subtracted): p50 %.1f p99 %.1f ms", pct(asrWait, 50),
		pct(asrWait, 99))
	// Three stages a line: benchmark output keeps ten lines.
	var line []string
	for i, s := range loadStages {
		d := ms(s.d)
		line = append(line, fmt.Sprintf("%s %.2f/%.2f/%.2f", s.name, pct(d, 50), pct(d, 99),
			d[len(d)-1]))
		if len(line) == 3 || i == len(loadStages)-1 {
			b.Logf("p50/p99/max ms: %s", strings.Join(line, ", "))
			line = line[:0]
		}
	}
	if len(r.stored) > 0 {
		span := ms(func(t *loadTurn) time.Duration { return t.readAt.Sub(t.endAt) })
		b.Logf("stored %s, model waits included: p50 %.1f p99 %.1f ms over %d answers; "+
			"measured here: p50 %.1f p99 %.1f ms", StageFirstReplyPacket, pct(r.stored, 50),
			pct(r.stored, 99), len(r.stored), pct(span, 50), pct(span, 99))
	}
}

// pct is the p-th percentile of sorted values, nearest rank.
func pct(sorted []float64, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
