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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/voiced/voiced/config"
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

// TestBaresipCallIsRecordedInStereo calls the demo tenant with baresip over
// G.722, playing a question synthesized by flite. The call's recording
// must hold that question on the left and the greeting on the right, each
// about as long as the audio that was played, and baresip must have heard
// the greeting.
func TestBaresipCallIsRecordedInStereo(t *testing.T) {
	baresip := needPeer(t, "baresip")
	flite := needPeer(t, "flite")
	v := startVoiced(t, t.TempDir())

	work := t.TempDir()
	question := filepath.Join(work, "question.wav")
	say(t, flite, demoQuestion, question)
	questionSeconds := activeSeconds(readWAVFile(t, question).Samples)
	greeting := filepath.Join(work, "greeting.wav")
	say(t, flite, demoGreeting(t), greeting)
	greetingSeconds := activeSeconds(readWAVFile(t, greeting).Samples)
	// baresip hangs up when its file ends: the silence after the question
	// keeps the call up until the whole greeting has played.
	padded := filepath.Join(work, "caller.wav")
	if out, err := exec.Command(needPeer(t, "sox"), question, padded, "pad", "0.5", "8").
		CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}

	cfg := filepath.Join(work, "cfg")
	rec := filepath.Join(work, "rec")
	os.MkdirAll(cfg, 0o755)
	os.MkdirAll(rec, 0o755)
	writeFile(t, filepath.Join(cfg, "config"), fmt.Sprintf(baresipConfig,
		freeUDPPort(t), padded, rec))
	writeFile(t, filepath.Join(cfg, "accounts"),
		"<sip:tester@127.0.0.1>;regint=0;audio_codecs=G722/16000/1\n")

	cmd := exec.Command(baresip, "-f", cfg, "-e", "/dial sip:demo@"+v.sip, "-t", "14")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("baresip: %v\n%s", err, tail(out, 3000))
	}
	t.Logf("baresip:\n%s", tail(out, 1500))

	calls := waitForCalls(t, v.base, 1)
	left, right := channels(downloadRecording(t, v.base, calls[0]))
	callerSpoke, agentSpoke := activeSeconds(left), activeSeconds(right)
	t.Logf("recording %.2f s: caller spoke %.2f s (question %.2f s), agent %.2f s (greeting %.2f s)",
		seconds(len(left)), callerSpoke, questionSeconds, agentSpoke, greetingSeconds)
	if math.Abs(callerSpoke-questionSeconds) > 0.6 {
		t.Errorf("caller channel has %.2f s of speech, want the question's %.2f s",
			callerSpoke, questionSeconds)
	}
	if math.Abs(agentSpoke-greetingSeconds) > 0.6 {
		t.Errorf("agent channel has %.2f s of speech, want the greeting's %.2f s",
			agentSpoke, greetingSeconds)
	}
	if first := firstActive(right); first > 1.5 {
		t.Errorf("greeting starts %.2f s into the call, want it at once", first)
	}

	heard, _ := filepath.Glob(filepath.Join(rec, "dump-*-dec.wav"))
	if len(heard) != 1 {
		t.Fatalf("baresip wrote %v, want one dump of the audio it received", heard)
	}
	if got := activeSeconds(readWAVFile(t, heard[0]).Samples); math.Abs(got-greetingSeconds) > 0.6 {
		t.Errorf("baresip heard %.2f s of speech, want the greeting's %.2f s", got, greetingSeconds)
	}
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
