package ragtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func post(t *testing.T, url, body string) (int, map[string]any, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var obj map[string]any
	json.Unmarshal(data, &obj)
	return resp.StatusCode, obj, string(data)
}

func TestServerErrorShapes(t *testing.T) {
	tests := []struct {
		flavor, path, body string
		status             int
		typeKey            string
	}{
		{"tei", "/embed", `{"inputs":["a","b","c"]}`, 422, "error_type"},
		{"tei", "/v1/embeddings", `{"input":["a","b","c"]}`, 422, "type"},
		{"tei", "/embed", `{"inputs":[]}`, 400, "error_type"},
		{"vllm", "/rerank", `{"query":"q","documents":["a","b","c"]}`, 422, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.flavor+tt.path, func(t *testing.T) {
			srv := NewTEI(t, Options{MaxBatch: 2, Flavor: tt.flavor})
			status, obj, raw := post(t, srv.URL+tt.path, tt.body)
			if status != tt.status || obj[tt.typeKey] == nil {
				t.Errorf("got %d %s, want %d with key %q", status, raw, tt.status, tt.typeKey)
			}
		})
	}
}

func TestServerFaultsAndCounts(t *testing.T) {
	srv := NewTEI(t, Options{})
	srv.Fail(Fault413, FaultMalformed)
	status, _, raw := post(t, srv.URL+"/embed", `{"inputs":"x"}`)
	if status != 413 || strings.HasPrefix(raw, "{") {
		t.Errorf("first: got %d %q, want 413 in plain text", status, raw)
	}
	if status, _, raw = post(t, srv.URL+"/embed", `{"inputs":"x"}`); status != 200 || json.Valid([]byte(raw)) {
		t.Errorf("second: got %d %q, want 200 with malformed JSON", status, raw)
	}
	if status, _, _ = post(t, srv.URL+"/embed", `{"inputs":"x"}`); status != 200 {
		t.Errorf("third: got %d, want 200", status)
	}
	if n, b := srv.Requests("/embed"), srv.Batches(); n != 3 || len(b) != 1 || b[0] != 1 {
		t.Errorf("got %d requests and batches %v, want 3 and [1]", n, b)
	}
}

func TestEmbedSimilarity(t *testing.T) {
	srv := NewTEI(t, Options{})
	dot := func(a, b []float32) (s float32) {
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	q := srv.Embed("gas prices per kWh")
	near, far := srv.Embed("the gas price per kWh"), srv.Embed("opening hours on saturday")
	if dot(q, near) <= dot(q, far) {
		t.Errorf("similarity near %v <= far %v, want near > far", dot(q, near), dot(q, far))
	}
}
