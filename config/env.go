package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// applyEnv overrides endpoint fields from VOICED_<ROLE>_<FIELD> variables,
// the data directory from VOICED_DATA_DIR, the HTTP address from
// VOICED_HTTP_ADDR, the SIP address from VOICED_SIP_LISTEN, the trace
// collector from VOICED_OTLP_ENDPOINT, trunk passwords from
// VOICED_TRUNK_<NAME>_PASSWORD, and adds tenant keys from
// VOICED_TENANT_<ID>_API_KEYS.
func applyEnv(c *Config, lookup func(string) (string, bool)) error {
	if v, ok := lookup("VOICED_DATA_DIR"); ok {
		c.DataDir = v
	}
	if v, ok := lookup("VOICED_HTTP_ADDR"); ok {
		c.HTTP.Addr = v
	}
	if v, ok := lookup("VOICED_SIP_LISTEN"); ok {
		c.SIP.Listen = v
	}
	c.Telemetry.applyEnv(lookup)
	for i := range c.SIP.Trunks {
		t := &c.SIP.Trunks[i]
		if v, ok := lookup("VOICED_TRUNK_" + envName(t.Name) + "_PASSWORD"); ok {
			t.Password = v
		}
	}
	for _, r := range c.Models.Roles() {
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

func endpointEnv(r Role, lookup func(string) (string, bool)) error {
	prefix := "VOICED_" + envName(r.Name) + "_"
	strs := map[string]*string{
		"BACKEND":      &r.Endpoint.Backend,
		"URL":          &r.Endpoint.URL,
		"MODEL":        &r.Endpoint.Model,
		"API_KEY":      &r.Endpoint.APIKey,
		"API_KEY_FILE": &r.Endpoint.APIKeyFile,
		"API_VERSION":  &r.Endpoint.APIVersion,
		"LOCALITY":     &r.Endpoint.Locality,
		"REGION":       &r.Endpoint.Region,
	}
	for field, dst := range strs {
		if v, ok := lookup(prefix + field); ok {
			*dst = v
		}
	}
	durations := map[string]*Duration{
		"TIMEOUT":             &r.Endpoint.Timeout,
		"FIRST_TOKEN_TIMEOUT": &r.Endpoint.FirstTokenTimeout,
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
		r.Endpoint.MaxBatch = n
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
