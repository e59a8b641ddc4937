package llmtest

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const body = `{"model":"m","stream":true,"stream_options":{"include_usage":true},` +
	`"messages":[{"role":"user","content":"hi"}]}`

func TestStreamFollowsProtocol(t *testing.T) {
	srv := NewServer(t)
	srv.Enqueue(Script{Text: "Hello there, friend.", AzureFilterChunk: true})

	events := post(t, srv.URL+"/chat/completions", body)
	if events[len(events)-1] != "[DONE]" {
		t.Fatalf("got last event %q, want [DONE]", events[len(events)-1])
	}
	var chunks []map[string]any
	for _, e := range events[:len(events)-1] {
		var c map[string]any
		if err := json.Unmarshal([]byte(e), &c); err != nil {
			t.Fatalf("event %q: %v", e, err)
		}
		chunks = append(chunks, c)
	}
	if choices := chunks[0]["choices"].([]any); len(choices) != 0 || chunks[0]["prompt_filter_results"] == nil {
		t.Errorf("got first chunk %v, want Azure's empty choices with filter results", chunks[0])
	}
	role := chunks[1]["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any)["role"]
	if role != "assistant" || chunks[1]["object"] != "chat.completion.chunk" {
		t.Errorf("got second chunk %v, want the role chunk", chunks[1])
	}
	var text string
	for _, c := range chunks[2 : len(chunks)-2] {
		text += c["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any)["content"].(string)
	}
	if text != "Hello there, friend." {
		t.Errorf("got content %q, want the script's text", text)
	}
	finish := chunks[len(chunks)-2]["choices"].([]any)[0].(map[string]any)["finish_reason"]
	if finish != "stop" {
		t.Errorf("got finish %v, want stop", finish)
	}
	usage := chunks[len(chunks)-1]
	if len(usage["choices"].([]any)) != 0 || usage["usage"] == nil {
		t.Errorf("got last chunk %v, want usage with empty choices", usage)
	}
}

func TestAzurePathAndKey(t *testing.T) {
	srv := NewServer(t)
	srv.RequireKey("k")
	srv.Enqueue(Reply("Hi."))

	resp := do(t, srv.Endpoint+"/openai/deployments/dep/chat/completions?api-version=2024-10-21", body, "k")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200", resp.StatusCode)
	}
	resp = do(t, srv.Endpoint+"/openai/deployments/dep/chat/completions?api-version=2024-10-21", body, "wrong")
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("got status %d for a wrong key, want 401", resp.StatusCode)
	}
	if got := srv.Requests()[0]; got.Deployment != "dep" || got.APIVersion != "2024-10-21" {
		t.Errorf("got deployment %q version %q, want dep and 2024-10-21", got.Deployment, got.APIVersion)
	}
}

func post(t *testing.T, url, body string) []string {
	t.Helper()
	resp := do(t, url, body, "")
	defer resp.Body.Close()
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			events = append(events, data)
		}
	}
	return events
}

func do(t *testing.T, url, body, key string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("api-key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	return resp
}
