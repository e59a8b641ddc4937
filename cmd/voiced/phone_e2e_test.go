package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/voiced/voiced/config"
	"github.com/voiced/voiced/dialog"
	"github.com/voiced/voiced/internal/otlptest"
	"github.com/voiced/voiced/media"
)

// needPeer finds a real SIP peer's binary. `make test` sets
// VOICED_REQUIRE_PEERS, so a missing peer fails there instead of skipping.
func needPeer(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("VOICED_REQUIRE_PEERS") != "" {
			t.Fatalf("%s is missing: run scripts/setup.sh test", name)
		}
		t.Skipf("%s is not installed (make test installs it)", name)
	}
	return path
}

// freeUDPPort returns a port that was free a moment ago, for peers that
// need a port number on their command line.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// callSummary is one entry of GET /api/calls.
type callSummary struct {
	ID           string  `json:"id"`
	Channel      string  `json:"channel"`
	EndedAt      *string `json:"ended_at"`
	RecordingURL *string `json:"recording_url"`
	Turns        int     `json:"turns"`
}

func listCalls(t *testing.T, base string) []callSummary {
	t.Helper()
	var list struct{ Data []callSummary }
	getJSON(t, base+"/api/calls?channel=sip&limit=500", &list)
	return list.Data
}

// adminGet fetches url with the demo tenant's key and fails the test on
// any status but 200.
func adminGet(t *testing.T, url string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer demo-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return resp
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp := adminGet(t, url)
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// downloadRecording fetches a call's stereo WAV through the admin API.
func downloadRecording(t *testing.T, base string, c callSummary) *media.WAV {
	t.Helper()
	if c.RecordingURL == nil {
		t.Fatalf("call %s has no recording", c.ID)
	}
	url := *c.RecordingURL
	if strings.HasPrefix(url, "/") {
		url = base + url
	}
	resp := adminGet(t, url)
	defer resp.Body.Close()
	w, err := media.ReadWAV(resp.Body)
	if err != nil {
		t.Fatalf("recording of %s: %v", c.ID, err)
	}
	return w
}

// waitForCalls polls the admin API until n SIP calls have ended.
func waitForCalls(t *testing.T, base string, n int) []callSummary {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		calls := listCalls(t, base)
		ended := 0
		for _, c := range calls {
			if c.EndedAt != nil {
				ended++
			}
		}
		if ended >= n {
			return calls
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls ended", ended, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSippCallsWithMedia places tens of calls with sipp's uac_pcap
// scenario: G.711 A-law audio and an RFC 4733 digit from the pcaps that
// ship with sipp. Every call must succeed (sipp's exit code), end, and
// leave a stereo recording holding the caller's audio.
func TestSippCallsWithMedia(t *testing.T) {
	sipp := needPeer(t, "sipp")
	v := startVoiced(t, t.TempDir())
	host, port, _ := net.SplitHostPort(v.sip)

	work := t.TempDir()
	if err := os.Symlink("/usr/share/sip-tester", filepath.Join(work, "pcap")); err != nil {
		t.Fatal(err)
	}
	const calls = 20
	cmd := exec.Command(sipp, host+":"+port, "-sn", "uac_pcap", "-i", "127.0.0.1",
		"-p", strconv.Itoa(freeUDPPort(t)), "-mi", "127.0.0.1", "-mp", strconv.Itoa(freeUDPPort(t)),
		"-r", "10", "-l", strconv.Itoa(calls), "-m", strconv.Itoa(calls),
		"-nostdin", "-timeout", "90s", "-timeout_error", "-trace_err")
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil {
		errLog, _ := filepath.Glob(filepath.Join(work, "*_errors.log"))
		for _, f := range errLog {
			b, _ := os.ReadFile(f)
			t.Logf("%s:\n%s", f, b)
		}
		t.Fatalf("sipp failed: %v\n%s", err, tail(out, 2000))
	}

	got := waitForCalls(t, v.base, calls)
	if len(got) != calls {
		t.Fatalf("got %d sip calls in /api/calls, want %d", len(got), calls)
	}
	w := downloadRecording(t, v.base, got[0])
	left, right := channels(w)
	if w.Rate != media.PipelineRate || w.Channels != 2 {
		t.Fatalf("recording is %d Hz %d channels, want %d Hz stereo", w.Rate, w.Channels,
			media.PipelineRate)
	}
	// The pcap holds about 8 s of speech-like audio and the call lasts
	// about 9 s; allow for set-up and scheduling.
	if d := seconds(len(left)); d < 7 || d > 15 {
		t.Fatalf("recording lasts %.1f s, want about 9 s", d)
	}
	if e := rmsDB(left); e < -45 {
		t.Fatalf("caller channel RMS %.1f dBFS: the pcap audio is missing", e)
	}
	if e := rmsDB(right); e < -45 {
		t.Fatalf("agent channel RMS %.1f dBFS: the greeting is missing", e)
	}
}

// TestBaresipAsksAndIsAnswered is a whole call of the embedded default:
// baresip dials over G.722 and, after the greeting, asks a question
// synthesized by flite. The local recognizer transcribes it, the
// extractive engine answers from the demo knowledge base and flite speaks
// the answer. The stored transcript holds the greeting, the question and
// the answer; the stereo recording holds the question on the left and the
// greeting and then the answer on the right; baresip heard both.
func TestBaresipAsksAndIsAnswered(t *testing.T) {
	baresip := needPeer(t, "baresip")
	flite := needPeer(t, "flite")
	// The call is traced; the collector outlives voiced's flush at exit.
	col := otlptest.NewCollector()
	t.Cleanup(col.Close)
	t.Setenv("VOICED_OTLP_ENDPOINT", col.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100") // export after 100 ms, not 5 s
	v := startVoiced(t, t.TempDir())

	work := t.TempDir()
	question := filepath.Join(work, "question.wav")
	say(t, flite, demoQuestion, question)
	questionSeconds := activeSeconds(readWAVFile(t, question).Samples)
	greeting := filepath.Join(work, "greeting.wav")
	say(t, flite, demoGreeting(t), greeting)
	greetingSeconds := activeSeconds(readWAVFile(t, greeting).Samples)
	// The caller waits for the greeting to end, asks, and stays on the line
	// for the answer: baresip hangs up when its file ends.
	const askAt = 6.0
	padded := filepath.Join(work, "caller.wav")
	if out, err := exec.Command(needPeer(t, "sox"), question, padded, "pad",
		fmt.Sprint(askAt), "12").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}

	rec := runBaresip(t, baresip, v.sip, padded, "G722/16000/1", 24)

	calls := waitForCalls(t, v.base, 1)
	left, right := channels(downloadRecording(t, v.base, calls[0]))
	asked, askedEnd := firstActive(left), lastActive(left)
	greeted := activeSeconds(right[:int(askAt*media.PipelineRate)])
	answered := activeSeconds(right[min(len(right), int(askedEnd*media.PipelineRate)):])
	answerAt := firstActive(right[min(len(right), int(askedEnd*media.PipelineRate)):])
	t.Logf("recording %.2f s: question %.2f-%.2f s (%.2f s, flite %.2f s); greeting %.2f s "+
		"(flite %.2f s); answer %.2f s starting %.2f s after the question",
		seconds(len(left)), asked, askedEnd, activeSeconds(left), questionSeconds, greeted,
		greetingSeconds, answered, answerAt)
	if math.Abs(activeSeconds(left)-questionSeconds) > 0.6 || math.Abs(asked-askAt) > 1 {
		t.Errorf("caller channel: %.2f s of speech from %.2f s, want the question's %.2f s at %.1f s",
			activeSeconds(left), asked, questionSeconds, askAt)
	}
	if math.Abs(greeted-greetingSeconds) > 0.6 {
		t.Errorf("agent channel has %.2f s of greeting, want %.2f s", greeted, greetingSeconds)
	}
	if answered < 1 || answerAt > 6 {
		t.Errorf("agent channel has %.2f s of speech %.2f s after the question, want an answer",
			answered, answerAt)
	}

	turns := callTurns(t, v.base, calls[0].ID)
	for _, tn := range turns {
		t.Logf("%s: %q %v", tn.Role, tn.Text, tn.Latency)
	}
	if len(turns) != 3 || turns[0].Role != "assistant" || turns[1].Role != "user" ||
		turns[2].Role != "assistant" {
		t.Fatalf("turns = %+v, want greeting, question, answer", turns)
	}
	if !strings.Contains(strings.ToLower(turns[1].Text), "saturday") {
		t.Errorf("question transcribed as %q, want it to name Saturday", turns[1].Text)
	}
	checkDemoAnswer(t, turns[2].Text)
	if _, ok := turns[2].Latency["voice_to_voice"]; !ok {
		t.Errorf("answer latencies %v lack voice_to_voice", turns[2].Latency)
	}
	checkCallTrace(t, col, calls[0].ID, turns)

	heard, _ := filepath.Glob(filepath.Join(rec, "dump-*-dec.wav"))
	if len(heard) != 1 {
		t.Fatalf("baresip wrote %v, want one dump of the audio it received", heard)
	}
	if got := activeSeconds(readWAVFile(t, heard[0]).Samples); math.Abs(got-activeSeconds(right)) > 0.6 {
		t.Errorf("baresip heard %.2f s of speech, want the agent's %.2f s", got, activeSeconds(right))
	}
}

// runBaresip dials voiced at sipAddr with baresip, playing caller (a WAV)
// as the microphone over codec, and returns the folder where baresip
// dumped what it received.
func runBaresip(t *testing.T, baresip, sipAddr, caller, codec string, limit int) string {
	t.Helper()
	work := t.TempDir()
	cfg := filepath.Join(work, "cfg")
	rec := filepath.Join(work, "rec")
	os.MkdirAll(cfg, 0o755)
	os.MkdirAll(rec, 0o755)
	writeFile(t, filepath.Join(cfg, "config"), fmt.Sprintf(baresipConfig,
		freeUDPPort(t), caller, rec))
	writeFile(t, filepath.Join(cfg, "accounts"),
		"<sip:tester@127.0.0.1>;regint=0;audio_codecs="+codec+"\n")

	cmd := exec.Command(baresip, "-f", cfg, "-e", "/dial sip:demo@"+sipAddr, "-t", fmt.Sprint(limit))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("baresip: %v\n%s", err, tail(out, 3000))
	}
	return rec
}

// turn is one entry of a call's turns in GET /api/calls/{id}.
type turn struct {
	Role    string
	Text    string
	Latency map[string]float64
}

func callTurns(t *testing.T, base, id string) []turn {
	t.Helper()
	var call struct{ Turns []turn }
	getJSON(t, base+"/api/calls/"+id, &call)
	return call.Turns
}

// say synthesizes text into a 16 kHz WAV with flite's slt voice, the voice
// the embedded profile speaks with.
func say(t *testing.T, flite, text, path string) {
	t.Helper()
	if out, err := exec.Command(flite, "-voice", "slt", "-t", text, "-o", path).
		CombinedOutput(); err != nil {
		t.Fatalf("flite: %v\n%s", err, out)
	}
}

// demoGreeting is the greeting of the embedded profile's demo agent.
func demoGreeting(t *testing.T) string {
	t.Helper()
	cfg, err := config.Load("../../configs/embedded.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Tenants[0].Agents[0].Greeting
}

// baresipConfig plays a WAV as the microphone and dumps what it receives
// (the sndfile module) into a folder; see testing.md.
const baresipConfig = `sip_listen 127.0.0.1:%d
audio_source aufile,%s
audio_player aubridge,nil
ausrc_srate 16000
auplay_srate 16000
rtp_ports 18000-18998
module_path /usr/lib/baresip/modules
module stdio.so
module g722.so
module g711.so
module aufile.so
module aubridge.so
module sndfile.so
module_app account.so
module_app menu.so
snd_path %s
`

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readWAVFile(t *testing.T, path string) *media.WAV {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := media.ReadWAV(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if w.Channels != 1 && w.Channels != 2 {
		t.Fatalf("%s has %d channels", path, w.Channels)
	}
	if w.Channels == 2 {
		w.Samples, _ = channels(w)
	}
	if w.Rate != media.PipelineRate {
		t.Fatalf("%s is %d Hz, want %d", path, w.Rate, media.PipelineRate)
	}
	return w
}

// activeSeconds counts the 20 ms frames of pcm (at the pipeline rate)
// whose level is above -45 dBFS: how long something was said.
func activeSeconds(pcm []int16) float64 {
	n := media.SamplesPerFrame(media.PipelineRate)
	active := 0
	for i := 0; i+n <= len(pcm); i += n {
		if rmsDB(pcm[i:i+n]) > -45 {
			active++
		}
	}
	return float64(active) * media.FrameDuration.Seconds()
}

// lastActive is when pcm last has a frame above -45 dBFS, in seconds.
func lastActive(pcm []int16) float64 {
	n := media.SamplesPerFrame(media.PipelineRate)
	for i := len(pcm) / n * n; i >= n; i -= n {
		if rmsDB(pcm[i-n:i]) > -45 {
			return seconds(i)
		}
	}
	return math.Inf(-1)
}

// firstActive is when pcm first has a frame above -45 dBFS, in seconds.
func firstActive(pcm []int16) float64 {
	n := media.SamplesPerFrame(media.PipelineRate)
	for i := 0; i+n <= len(pcm); i += n {
		if rmsDB(pcm[i:i+n]) > -45 {
			return seconds(i)
		}
	}
	return math.Inf(1)
}

func channels(w *media.WAV) (left, right []int16) {
	n := len(w.Samples) / 2
	left, right = make([]int16, n), make([]int16, n)
	for i := range n {
		left[i], right[i] = w.Samples[2*i], w.Samples[2*i+1]
	}
	return left, right
}

func seconds(samples int) float64 { return float64(samples) / media.PipelineRate }

// rmsDB is the RMS level of pcm in dB relative to full scale.
func rmsDB(pcm []int16) float64 {
	if len(pcm) == 0 {
		return math.Inf(-1)
	}
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	return 20 * math.Log10(math.Sqrt(sum/float64(len(pcm)))/32768)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// checkCallTrace waits for the call's span and checks its turns: their
// stages are there, and no word of what was said is.
func checkCallTrace(t *testing.T, col *otlptest.Collector, id string, turns []turn) {
	t.Helper()
	var call otlptest.Span
	for deadline := time.Now().Add(10 * time.Second); call.Name == ""; {
		if time.Now().After(deadline) {
			t.Fatalf("no call span for %s in %d spans", id, len(col.Spans()))
		}
		time.Sleep(50 * time.Millisecond)
		for _, s := range col.Named(dialog.SpanCall) {
			if s.Attributes["call_id"] == id {
				call = s
			}
		}
	}
	if call.Attributes["codec"] != "G722" || call.Attributes["tenant"] != "demo" ||
		call.Resource["service.name"] != "voiced" {
		t.Errorf("got call span %v of %v, want a G722 call of tenant demo by voiced",
			call.Attributes, call.Resource)
	}

	inCall := func(name string) []otlptest.Span {
		var out []otlptest.Span
		for _, s := range col.Named(name) {
			if s.TraceID == call.TraceID {
				out = append(out, s)
			}
		}
		return out
	}
	answers := slices.DeleteFunc(inCall(dialog.SpanTurn), func(s otlptest.Span) bool {
		return s.Attributes["mode"] == dialog.ModeGreeting
	})
	want := int64(utf8.RuneCountInString(turns[1].Text))
	if len(answers) != 1 || answers[0].Attributes["transcript_length"] != want {
		t.Fatalf("got answer turns %+v, want one of a %d-character question", answers, want)
	}
	for _, name := range []string{dialog.StageEndpointWait, dialog.StageASR, dialog.SpanReply} {
		if s := inCall(name); len(s) != 1 || s[0].ParentSpanID != answers[0].SpanID {
			t.Errorf("got %s spans %+v, want 1 in the answer's turn", name, s)
		}
	}

	for _, tn := range turns {
		if q := col.Quoted(tn.Text); len(q) > 0 {
			t.Errorf("got %q of the %s's words in an export, want none", q, tn.Role)
		}
	}
}
