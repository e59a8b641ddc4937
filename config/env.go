package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// applyEnv overrides endpoint fields from VOICED_<ROLE>_<FIELD> variables,
// the data directory from VOICED_DATA_DIR, the HTTP address from
// VOICED_HTTP_ADDR, and adds tenant keys from VOICED_TENANT_<ID>_API_KEYS.
func applyEnv(c *Config, lookup func(string) (string, bool)) error {
	if v, ok := lookup("VOICED_DATA_DIR"); ok {
		c.DataDir = v
	}
	if v, ok := lookup("VOICED_HTTP_ADDR"); ok {
		c.HTTP.Addr = v
	}
	for _, r := range c.Models.roles() {
		if err := endpointEnv(r, lookup); err != nil {
			return err
		}
	}
	for i := range c.Tenants {
		t := &c.Tenants[i]
		name := "VOICED_TENANT_" + envName(t.ID) + "_API_KEYS"
		if v, ok := lookup(name); ok {
			t.APIKeys = append(t.APIKeys, splitKeys(v, ",")...)
		}
	}
	return nil
}

func endpointEnv(r role, lookup func(string) (string, bool)) error {
	prefix := "VOICED_" + envName(r.name) + "_"
	strs := map[string]*string{
		"BACKEND":      &r.ep.Backend,
		"URL":          &r.ep.URL,
		"MODEL":        &r.ep.Model,
		"API_KEY":      &r.ep.APIKey,
		"API_KEY_FILE": &r.ep.APIKeyFile,
		"API_VERSION":  &r.ep.APIVersion,
		"LOCALITY":     &r.ep.Locality,
		"REGION":       &r.ep.Region,
	}
	for field, dst := range strs {
		if v, ok := lookup(prefix + field); ok {
			*dst = v
		}
	}
	durations := map[string]*Duration{
		"TIMEOUT":             &r.ep.Timeout,
		"FIRST_TOKEN_TIMEOUT": &r.ep.FirstTokenTimeout,
	}
	for field, dst := range durations {
		if v, ok := lookup(prefix + field); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s%s: %q is not a duration like 10s", prefix, field, v)
			}
			*dst = Duration(d)
		}
	}
	if v, ok := lookup(prefix + "MAX_BATCH"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%sMAX_BATCH: %q is not a number", prefix, v)
		}
		r.ep.MaxBatch = n
	}
	return nil
}

func envName(s string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(s))
}

func splitKeys(s, sep string) []string {
	var keys []string
	for _, k := range strings.Split(s, sep) {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}
