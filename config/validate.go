package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

var tenantID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// validate checks every field and reports all problems at once, each naming
// its field.
func (c *Config) validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}

	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr", "%q is not host:port", c.HTTP.Addr)
	}
	if c.HTTP.MaxBodyBytes < 1024 {
		bad("http.max_body_bytes", "%d is too small (at least 1024)", c.HTTP.MaxBodyBytes)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		bad("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	if c.Retrieval.TopK < 1 || c.Retrieval.TopK > 50 {
		bad("retrieval.top_k", "%d is outside 1..50", c.Retrieval.TopK)
	}
	if c.Retrieval.ContextPrefixes && (!c.Models.SmallLLM.Enabled() || c.Models.SmallLLM.Locality != "local") {
		// Situating a chunk sends its whole document to the small LLM.
		bad("retrieval.context_prefixes", "needs a local models.small_llm (it reads whole documents)")
	}

	backends := map[string][]string{
		"embeddings": {"tei", "openai"},
		"reranker":   {"tei", "vllm"},
		"llm":        {"openai", "azure"},
		"small_llm":  {"openai", "azure"},
		"asr":        {"sphinx", "qwen", "openai", "mlx"},
		"tts":        {"flite", "espeak", "qwen", "mlx"},
	}
	for _, r := range c.Models.Roles() {
		c.validateEndpoint("models."+r.Name, *r.Endpoint, backends[r.Name], bad)
	}
	for _, r := range []Role{{"asr", &c.Models.ASR}, {"tts", &c.Models.TTS}} {
		fb := r.Endpoint.Fallback
		if fb != "" && (!builtinBackends[fb] || !slices.Contains(backends[r.Name], fb)) {
			bad("models."+r.Name+".fallback", "%q is not a built-in %s backend", fb, r.Name)
		}
	}
	if c.Models.ASR.Enabled() && c.Models.ASR.Locality == "external" {
		// The egress policy: callers' audio never leaves the perimeter.
		bad("models.asr.locality", "must be local: a recognizer receives callers' voices")
	}

	seen := map[string]bool{}
	keys := map[string]string{}
	numbers := map[string]string{}
	for i, t := range c.Tenants {
		field := fmt.Sprintf("tenants[%d]", i)
		if !tenantID.MatchString(t.ID) {
			bad(field+".id", "%q must be lowercase letters, digits, - or _", t.ID)
		}
		if seen[t.ID] {
			bad(field+".id", "%q is used twice", t.ID)
		}
		seen[t.ID] = true
		for _, k := range t.APIKeys {
			if len(k) < 8 {
				bad(field+".api_keys", "a key is shorter than 8 characters")
			}
			if other, ok := keys[k]; ok {
				bad(field+".api_keys", "a key is also used by tenant %q", other)
			}
			keys[k] = t.ID
		}
		for _, n := range t.Numbers {
			if other, ok := numbers[n]; ok || n == "" {
				bad(field+".numbers", "%q is empty or also reaches tenant %q", n, other)
			}
			numbers[n] = t.ID
		}
		agents := map[string]bool{}
		for j, a := range t.Agents {
			af := fmt.Sprintf("%s.agents[%d]", field, j)
			if agents[a.Name] {
				bad(af+".name", "%q is used twice", a.Name)
			}
			agents[a.Name] = true
			if a.Style != "concise" && a.Style != "detailed" {
				bad(af+".style", "%q is not concise or detailed", a.Style)
			}
		}
	}
	c.SIP.validate(c, bad)
	c.Telemetry.validate(bad)
	return errors.Join(errs...)
}

func (c *Config) validateEndpoint(field string, e Endpoint, backends []string,
	bad func(field, format string, args ...any)) {
	if !e.Enabled() {
		return
	}
	if !slices.Contains(backends, e.Backend) {
		bad(field+".backend", "%q is not one of none, %s", e.Backend, strings.Join(backends, ", "))
	}
	if e.Builtin() {
		return
	}
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad(field+".url", "%q is not an http(s) URL", e.URL)
	}
	if e.Locality != "local" && e.Locality != "external" {
		bad(field+".locality", "%q is not local or external", e.Locality)
	}
	if e.Locality == "external" && e.Region == "" {
		bad(field+".region", "required for an external endpoint (for example eu-west)")
	}
	if e.Backend == "azure" && e.Model == "" {
		bad(field+".model", "the Azure deployment name is required")
	}
	if e.Timeout < 0 || e.FirstTokenTimeout < 0 || e.MaxBatch < 0 {
		bad(field, "timeouts and max_batch must not be negative")
	}
}

// explainYAML rewrites yaml.v3's type errors, whose wording names Go types,
// into the config's own field language.
func explainYAML(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("invalid YAML: %w", err)
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		m = strings.Replace(m, "field ", "unknown field ", 1)
		m = strings.Replace(m, " not found in type config.", " in section ", 1)
		if strings.Contains(m, "unknown field api_key ") {
			m += " (secrets are not read from YAML: use api_key_file or VOICED_<ROLE>_API_KEY)"
		}
		msgs[i] = m
	}
	return errors.New(strings.Join(msgs, "; "))
}
