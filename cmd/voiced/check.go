package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/voiced/voiced/asr/sphinx"
	"github.com/voiced/voiced/config"
)

// egressOf says what a role's requests carry, for the egress summary.
var egressOf = map[string]string{
	"embeddings": "document chunks at ingestion; each question",
	"reranker":   "each question with its candidate passages",
	"llm":        "system prompt, the current question (condensed), selected passages",
	"small_llm":  "recent history for condensing; documents for context prefixes",
	"asr":        "callers' audio, one utterance at a time (never external)",
	"tts":        "each sentence the agent speaks",
}

// check probes every configured endpoint without sending customer data and
// prints each role's backend, locality and health, then what may leave.
func check(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	var c common
	c.register(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tBACKEND\tLOCALITY\tHEALTH")
	failed := 0
	roles := cfg.Models.Roles()
	for _, r := range roles {
		ep := *r.Endpoint
		if !ep.Enabled() {
			fmt.Fprintf(tw, "%s\tnone\t-\t%s\n", r.Name, fallbackNote(r.Name))
			continue
		}
		health := probe(ctx, ep)
		if !strings.HasPrefix(health, "ok") {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, strings.TrimSpace(ep.Backend+" "+ep.URL),
			locality(ep), health)
	}
	tw.Flush()

	fmt.Fprintln(stdout, "\nEgress policy:")
	external := 0
	for _, r := range roles {
		if ep := *r.Endpoint; ep.Enabled() && ep.Locality == "external" {
			external++
			fmt.Fprintf(stdout, "  to %s (%s, %s): %s\n", r.Name, ep.URL, ep.Region, egressOf[r.Name])
		}
	}
	if external == 0 {
		fmt.Fprintln(stdout, "  nothing leaves: every configured endpoint is local")
	}
	if failed > 0 {
		return fmt.Errorf("%d endpoint(s) unhealthy", failed)
	}
	return nil
}

// probeBuiltin checks that a built-in backend's program or model files
// are installed.
func probeBuiltin(backend string) string {
	var path string
	var err error
	switch backend {
	case "sphinx":
		path = sphinx.DefaultModelDir
		_, err = os.Stat(path)
	case "espeak":
		path, err = exec.LookPath("espeak-ng")
	default:
		path, err = exec.LookPath(backend)
	}
	if err != nil {
		return "missing: " + backend + " is not installed (scripts/setup.sh installs it)"
	}
	return "ok (built-in, " + path + ")"
}

func locality(e config.Endpoint) string {
	if e.Locality == "external" {
		return "external (" + e.Region + ")"
	}
	return e.Locality
}

func fallbackNote(role string) string {
	switch role {
	case "llm":
		return "not configured: extractive answers"
	case "embeddings":
		return "not configured: lexical retrieval only"
	default:
		return "not configured"
	}
}

// probe asks the server a question that carries no customer data: its
// health route or its model list.
func probe(ctx context.Context, e config.Endpoint) string {
	if e.Builtin() {
		return probeBuiltin(e.Backend)
	}
	base := strings.TrimRight(e.URL, "/")
	var url string
	switch e.Backend {
	case "tei", "vllm":
		url = base + "/health"
	case "azure":
		version := e.APIVersion
		if version == "" {
			version = "2024-10-21"
		}
		url = base + "/openai/deployments/" + e.Model + "?api-version=" + version
	default:
		url = base + "/models"
	}

	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "error: " + err.Error()
	}
	if e.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+e.APIKey)
		req.Header.Set("api-key", e.APIKey)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "unreachable: " + err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Sprintf("failing: GET %s answered %s", url, resp.Status)
	}
	return fmt.Sprintf("ok (%d ms)", time.Since(start).Milliseconds())
}
