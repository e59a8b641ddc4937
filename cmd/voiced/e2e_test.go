package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "voiced-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "voiced")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build voiced: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startServer runs `voiced serve` with the embedded profile on free ports
// and a fresh data directory, and returns its base URL once it is ready.
func startServer(t *testing.T, dataDir string) string {
	t.Helper()
	return startVoiced(t, dataDir).base
}

// running is a started voiced: its HTTP base URL and SIP UDP address.
type running struct {
	base, sip string
}

// startVoiced runs `voiced serve` with the embedded profile, HTTP and SIP
// on free ports and the given data directory, and waits until it is ready.
func startVoiced(t *testing.T, dataDir string) running {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--config", "../../configs/embedded.yaml",
		"--data", dataDir, "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// SIGTERM drains; a clean exit status says the drain worked.
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("voiced did not stop cleanly: %v", err)
		}
	})

	httpAddr := regexp.MustCompile(`msg="http listening" addr=(\S+)`)
	sipAddr := regexp.MustCompile(`msg="sip listening" udp=(\S+)`)
	lines := bufio.NewScanner(stderr)
	var r running
	for lines.Scan() {
		t.Log(lines.Text())
		if m := httpAddr.FindStringSubmatch(lines.Text()); m != nil {
			r.base = "http://" + m[1]
		}
		if m := sipAddr.FindStringSubmatch(lines.Text()); m != nil {
			r.sip = m[1]
		}
		if strings.Contains(lines.Text(), `msg=ready`) {
			break
		}
	}
	if r.base == "" || r.sip == "" {
		t.Fatal("voiced never became ready")
	}
	go io.Copy(io.Discard, stderr)
	return r
}

func TestOfficialGoClientStreamsFromDemoKnowledge(t *testing.T) {
	base := startServer(t, t.TempDir())
	client := openai.NewClient(option.WithBaseURL(base+"/v1"), option.WithAPIKey("demo-key"),
		option.WithMaxRetries(0))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:    "default",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(demoQuestion)},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{
			IncludeUsage: openai.Bool(true),
		},
	})
	var text strings.Builder
	chunks, sawUsage := 0, false
	for stream.Next() {
		c := stream.Current()
		chunks++
		if c.Usage.TotalTokens > 0 {
			sawUsage = true
		}
		if len(c.Choices) > 0 {
			text.WriteString(c.Choices[0].Delta.Content)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	checkDemoAnswer(t, text.String())
	if chunks < 3 || !sawUsage {
		t.Fatalf("%d chunks, usage seen %v", chunks, sawUsage)
	}

	wrong := openai.NewClient(option.WithBaseURL(base+"/v1"), option.WithAPIKey("wrong-key"),
		option.WithMaxRetries(0))
	_, err := wrong.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "default", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Fatalf("wrong key: got %v, want a 401 API error", err)
	}
}

func TestOfficialNodeClientStreamsFromDemoKnowledge(t *testing.T) {
	script := filepath.Join("..", "..", "web", "testdata", "node")
	if _, err := os.Stat(filepath.Join(script, "node_modules", "openai")); err != nil {
		if os.Getenv("VOICED_REQUIRE_NODE") != "" {
			t.Fatal("the openai npm package is missing: run scripts/setup.sh test")
		}
		t.Skip("the openai npm package is not installed (make test installs it)")
	}
	base := startServer(t, t.TempDir())

	out, err := exec.Command("node", filepath.Join(script, "stream.mjs"), base+"/v1", "demo-key",
		demoQuestion).Output()
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, out)
	}
	var got struct {
		Text   string
		Chunks int
		Finish string
		Usage  struct {
			TotalTokens int `json:"total_tokens"`
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	checkDemoAnswer(t, got.Text)
	if got.Finish != "stop" || got.Usage.TotalTokens == 0 {
		t.Fatalf("node saw finish %q usage %+v", got.Finish, got.Usage)
	}
}

func chat(t *testing.T, base, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer demo-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// demoQuestion is asked of the demo tenant; its knowledge base says the
// customer centre opens from 9:00 to 13:00 on Saturdays.
const demoQuestion = "What time do you open on a Saturday?"

func checkDemoAnswer(t *testing.T, answer string) {
	t.Helper()
	if !strings.Contains(answer, "9:00") || !strings.Contains(answer, "13:00") {
		t.Fatalf("answer %q does not give the Saturday hours 9:00 to 13:00", answer)
	}
}
