// Package config reads and validates voiced's YAML configuration. One file
// describes the data directory, the listeners, every model role's endpoint
// and the tenants with their agents and knowledge bases. Endpoint settings
// can be overridden by environment variables named VOICED_<ROLE>_<FIELD>
// (VOICED_LLM_URL, VOICED_SMALL_LLM_API_KEY, ...); secrets come only from
// the environment or from files.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration file.
type Config struct {
	// DataDir holds the database and recordings. Relative paths are
	// resolved against the config file's folder.
	DataDir string `yaml:"data_dir"`
	HTTP    HTTP   `yaml:"http"`
	// LogLevel is debug, info, warn or error.
	LogLevel  string    `yaml:"log_level"`
	Models    Models    `yaml:"models"`
	Retrieval Retrieval `yaml:"retrieval"`
	SIP       SIP       `yaml:"sip"`
	Telemetry Telemetry `yaml:"telemetry"`
	Tenants   []Tenant  `yaml:"tenants"`

	// dir is the folder of the config file, for resolving relative paths.
	dir string
}

// HTTP configures the HTTP listener.
type HTTP struct {
	Addr string `yaml:"addr"`
	// MaxBodyBytes limits request bodies of the chat API.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// Models holds one endpoint per model role. A role whose backend is empty or
// "none" is not configured.
type Models struct {
	Embeddings Endpoint `yaml:"embeddings"`
	Reranker   Endpoint `yaml:"reranker"`
	LLM        Endpoint `yaml:"llm"`
	SmallLLM   Endpoint `yaml:"small_llm"`
	// ASR transcribes callers; "sphinx" is the built-in local recognizer of
	// the embedded default.
	ASR Endpoint `yaml:"asr"`
	// TTS speaks the agent's words; "flite" is the built-in local
	// synthesizer of the embedded default.
	TTS Endpoint `yaml:"tts"`
}

// Endpoint is one model server.
type Endpoint struct {
	// Backend names the wire protocol: "openai" (any OpenAI-compatible
	// server: vLLM, Ollama, ...), "azure" for the LLM roles; "tei",
	// "openai" for embeddings; "tei", "vllm" for the reranker.
	Backend string `yaml:"backend"`
	URL     string `yaml:"url"`
	Model   string `yaml:"model"`
	// APIKey is never read from YAML: it comes from VOICED_<ROLE>_API_KEY
	// or from the file named by APIKeyFile.
	APIKey     string `yaml:"-"`
	APIKeyFile string `yaml:"api_key_file"`
	// APIVersion is the Azure OpenAI api-version.
	APIVersion string `yaml:"api_version"`
	// Timeout bounds a whole request; FirstTokenTimeout bounds the wait for
	// the first streamed token of an LLM.
	Timeout           Duration `yaml:"timeout"`
	FirstTokenTimeout Duration `yaml:"first_token_timeout"`
	// MaxBatch is the embeddings server's input limit per request.
	MaxBatch int `yaml:"max_batch"`
	// Locality is "local" (inside the customer's perimeter) or "external".
	// It drives the egress policy and is never guessed from the URL.
	Locality string `yaml:"locality"`
	// Region labels an external endpoint, e.g. "eu-west".
	Region string `yaml:"region"`
	// Voice selects the TTS voice ("slt" for flite).
	Voice string `yaml:"voice"`
	// Fallback names a built-in backend of the same role (sphinx for asr;
	// flite or espeak for tts) that takes over while this one fails.
	Fallback string `yaml:"fallback"`
}

// builtinBackends run inside the voiced process or as a local program, so
// they have no URL and are always local.
var builtinBackends = map[string]bool{"flite": true, "espeak": true, "sphinx": true}

// Builtin reports whether the endpoint is a built-in local backend.
func (e Endpoint) Builtin() bool { return builtinBackends[e.Backend] }

// Enabled reports whether the role is configured.
func (e Endpoint) Enabled() bool { return e.Backend != "" && e.Backend != "none" }

// Retrieval tunes the retriever.
type Retrieval struct {
	// TopK passages are given to the dialog engine.
	TopK int `yaml:"top_k"`
	// ContextPrefixes asks the small LLM for a sentence situating each
	// chunk at ingestion time.
	ContextPrefixes bool `yaml:"context_prefixes"`
}

// Tenant is a customer with its agents and knowledge base.
type Tenant struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// APIKeys are accepted as bearer tokens. Prefer APIKeysFile or the
	// VOICED_TENANT_<ID>_API_KEYS variable (comma-separated) outside
	// development.
	APIKeys     []string `yaml:"api_keys"`
	APIKeysFile string   `yaml:"api_keys_file"`
	Agents      []Agent  `yaml:"agents"`
	// Knowledge lists files or folders ingested at start when they changed.
	// Relative paths are resolved against the config file's folder.
	Knowledge []string `yaml:"knowledge"`
	// Numbers are the dialled numbers or SIP user names that reach this
	// tenant by phone, besides its ID. When only one tenant exists, every
	// number reaches it.
	Numbers []string `yaml:"numbers"`
}

// Agent is one persona of a tenant; the chat API's model field names it.
type Agent struct {
	Name         string `yaml:"name"`
	SystemPrompt string `yaml:"system_prompt"`
	Greeting     string `yaml:"greeting"`
	Language     string `yaml:"language"`
	// Style is "concise" (voice-friendly, the default) or "detailed".
	Style string `yaml:"style"`
	// TransferTarget is the SIP URI a caller is transferred to when they
	// ask for a person or press 0; empty offers no transfer.
	TransferTarget string `yaml:"transfer_target"`
}

// Duration is a time.Duration written as "1.5s" in YAML.
type Duration time.Duration

// UnmarshalYAML parses Go duration strings.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 10s or 500ms", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Load reads, completes and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg, err := Parse(data, dir, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML, applies environment overrides through lookup, fills
// defaults and validates. dir resolves relative paths.
func Parse(data []byte, dir string, lookup func(string) (string, bool)) (*Config, error) {
	cfg := &Config{dir: dir}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, explainYAML(err)
	}
	if err := applyEnv(cfg, lookup); err != nil {
		return nil, err
	}
	cfg.fillDefaults()
	if err := cfg.readSecretFiles(); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Resolve makes p absolute relative to the config file's folder.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

func (c *Config) fillDefaults() {
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	c.DataDir = c.Resolve(c.DataDir)
	if c.HTTP.Addr == "" {
		c.HTTP.Addr = "127.0.0.1:8080"
	}
	if c.HTTP.MaxBodyBytes == 0 {
		c.HTTP.MaxBodyBytes = 1 << 20
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.Retrieval.TopK == 0 {
		c.Retrieval.TopK = 4
	}
	for _, r := range c.Models.Roles() {
		if r.Endpoint.Enabled() && (r.Endpoint.Locality == "" || r.Endpoint.Builtin()) {
			r.Endpoint.Locality = "local"
		}
	}
	c.SIP.fillDefaults(c)
	c.Telemetry.fillDefaults()
	for i := range c.Tenants {
		t := &c.Tenants[i]
		if t.Name == "" {
			t.Name = t.ID
		}
		if len(t.Agents) == 0 {
			t.Agents = []Agent{{}}
		}
		for j := range t.Agents {
			a := &t.Agents[j]
			if a.Name == "" {
				a.Name = "default"
			}
			if a.Language == "" {
				a.Language = "en"
			}
			if a.Style == "" {
				a.Style = "concise"
			}
		}
		for j, k := range t.Knowledge {
			t.Knowledge[j] = c.Resolve(k)
		}
	}
}

// Role is one model role of the configuration, by the name it has in YAML
// and, upper-cased, in environment variables.
type Role struct {
	Name     string
	Endpoint *Endpoint
}

// Roles lists every model role in a fixed order; the endpoints point into m.
func (m *Models) Roles() []Role {
	return []Role{
		{"embeddings", &m.Embeddings},
		{"reranker", &m.Reranker},
		{"llm", &m.LLM},
		{"small_llm", &m.SmallLLM},
		{"asr", &m.ASR},
		{"tts", &m.TTS},
	}
}

func (c *Config) readSecretFiles() error {
	for _, r := range c.Models.Roles() {
		if r.Endpoint.APIKeyFile == "" || r.Endpoint.APIKey != "" {
			continue
		}
		key, err := readSecret(c.Resolve(r.Endpoint.APIKeyFile))
		if err != nil {
			return fmt.Errorf("models.%s.api_key_file: %w", r.Name, err)
		}
		r.Endpoint.APIKey = key
	}
	for i := range c.SIP.Trunks {
		t := &c.SIP.Trunks[i]
		if t.PasswordFile == "" || t.Password != "" {
			continue
		}
		pw, err := readSecret(c.Resolve(t.PasswordFile))
		if err != nil {
			return fmt.Errorf("sip.trunks[%d].password_file: %w", i, err)
		}
		t.Password = pw
	}
	for i := range c.Tenants {
		t := &c.Tenants[i]
		if t.APIKeysFile == "" {
			continue
		}
		data, err := os.ReadFile(c.Resolve(t.APIKeysFile))
		if err != nil {
			return fmt.Errorf("tenants[%d].api_keys_file: %w", i, err)
		}
		t.APIKeys = append(t.APIKeys, splitKeys(string(data), "\n")...)
	}
	return c.Telemetry.readHeaders(c)
}

func readSecret(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return string(bytes.TrimSpace(data)), nil
}
