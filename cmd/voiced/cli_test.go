package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voiced/voiced/rag/ragtest"
)

// voiced runs the binary and returns its combined output and exit code.
func voiced(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return out.String(), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

func TestIngestReportsBadFilesAndKeepsGoodOnes(t *testing.T) {
	kb := t.TempDir()
	files := map[string][]byte{
		"returns.md":   []byte("# Returns\n\nParcels can be returned within 30 days at any post office.\n"),
		"binary.txt":   {0x7f, 'E', 'L', 'F', 0, 0, 1, 2, 0, 0, 0, 0, 3, 0, 0xff, 0xfe},
		"empty.md":     {},
		"scanned.pdf":  ragtest.PDF(),
		"broken.pdf":   []byte("%PDF-1.4 this is not really a pdf"),
		"notes.docx":   []byte("unsupported types are not picked up from folders"),
		".hidden.md":   []byte("# Hidden\n\nnot ingested"),
		"sub/faq.html": []byte("<html><body><h1>FAQ</h1><p>Delivery takes two days.</p><script>x()</script></body></html>"),
	}
	for name, data := range files {
		os.MkdirAll(filepath.Join(kb, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(kb, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := t.TempDir()
	args := []string{"ingest", "--config", "../../configs/embedded.yaml", "--data", data, "--tenant", "demo", kb}

	out, code := voiced(t, nil, args...)
	if code != 1 {
		t.Fatalf("exit code %d, want 1 for failed files; output:\n%s", code, out)
	}
	for _, want := range []string{"2 added", "4 failed", "binary.txt", "empty.md", "scanned.pdf", "broken.pdf"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "notes.docx") || strings.Contains(out, "hidden") {
		t.Errorf("unsupported or hidden files were considered:\n%s", out)
	}

	os.Remove(filepath.Join(kb, "returns.md"))
	for _, bad := range []string{"binary.txt", "empty.md", "scanned.pdf", "broken.pdf"} {
		os.Remove(filepath.Join(kb, bad))
	}
	out, code = voiced(t, nil, args...)
	if code != 0 || !strings.Contains(out, "0 added, 0 updated, 1 unchanged, 1 deleted, 0 failed") {
		t.Fatalf("second run (exit %d):\n%s", code, out)
	}
}

func TestConfigErrorsStopTheCommand(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(cfg, []byte("tenants:\n  - id: demo\n    knowlege: [x]\n"), 0o644)
	out, code := voiced(t, nil, "serve", "--config", cfg)
	if code != 1 || !strings.Contains(out, "unknown field knowlege") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	out, code = voiced(t, nil, "frobnicate")
	if code != 2 || !strings.Contains(out, "unknown command") {
		t.Fatalf("unknown command: exit %d, output:\n%s", code, out)
	}
}

func TestCheckProbesEndpointsAndShowsEgress(t *testing.T) {
	out, code := voiced(t, nil, "check", "--config", "../../configs/embedded.yaml")
	if code != 0 || !strings.Contains(out, "extractive answers") || !strings.Contains(out, "nothing leaves") {
		t.Fatalf("embedded check: exit %d\n%s", code, out)
	}

	var gotKey string
	models := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey = r.Header.Get("Authorization")
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"object":"list","data":[]}`))
	}))
	defer models.Close()
	env := []string{
		"VOICED_LLM_BACKEND=openai", "VOICED_LLM_URL=" + models.URL + "/v1",
		"VOICED_LLM_LOCALITY=external", "VOICED_LLM_REGION=eu-west", "VOICED_LLM_API_KEY=sk-test",
		"VOICED_EMBEDDINGS_BACKEND=tei", "VOICED_EMBEDDINGS_URL=http://127.0.0.1:1",
	}
	out, code = voiced(t, env, "check", "--config", "../../configs/embedded.yaml")
	if code != 1 {
		t.Fatalf("exit %d with an unreachable embeddings server:\n%s", code, out)
	}
	for _, want := range []string{"external (eu-west)", "ok (", "unreachable", "to llm (", "selected passages"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if gotKey != "Bearer sk-test" {
		t.Errorf("probe sent Authorization %q", gotKey)
	}
	if strings.Contains(out, "sk-test") {
		t.Errorf("check printed the API key:\n%s", out)
	}
}
