package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voiced/voiced/dialog"
	"github.com/voiced/voiced/rag"
	"github.com/voiced/voiced/store"
)

// BenchmarkChatExtractive measures whole chat requests through the real
// stack of the embedded default: HTTP, key check, BM25 retrieval over the
// demo knowledge base, the extractive engine and the SQLite writes of the
// conversation. Requests run in parallel over loopback.
func BenchmarkChatExtractive(b *testing.B) {
	for _, stream := range []bool{false, true} {
		name := "whole"
		if stream {
			name = "stream"
		}
		b.Run(name, func(b *testing.B) { benchmarkChat(b, stream) })
	}
}

func benchmarkChat(b *testing.B, stream bool) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "v.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	st.EnsureTenant(ctx, store.Tenant{ID: "demo"})
	st.SetAPIKeys(ctx, "demo", []string{"demo-key"})
	if _, err := rag.Ingest(ctx, rag.IngestConfig{Store: st}, "demo", []string{"../configs/demo"}); err != nil {
		b.Fatal(err)
	}
	retriever, err := rag.NewRetriever(rag.RetrieverConfig{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	if err := retriever.Load(ctx, "demo"); err != nil {
		b.Fatal(err)
	}
	eng, err := dialog.New(dialog.Config{Store: st, Searcher: retriever})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(Config{Store: st, Engine: eng,
		Agents: func(string) []dialog.Agent { return []dialog.Agent{{Name: "default"}} }})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	body := `{"model":"default","stream":` + map[bool]string{true: "true", false: "false"}[stream] +
		`,"messages":[{"role":"user","content":"How much does a kilowatt hour cost?"}]}`
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", ts.URL+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer demo-key")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
