package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/voiced/voiced/dialog"
	"github.com/voiced/voiced/media"
	"github.com/voiced/voiced/store"
)

// callsEnv is a server over a real SQLite store whose data directory is
// dir/data, beside which lies a file no request may reach.
type callsEnv struct {
	ts     *httptest.Server
	st     *store.SQLite
	data   string
	secret string
	now    time.Time
}

func newCallsEnv(t *testing.T) *callsEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "data", "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, tenant := range []string{"demo", "other"} {
		st.EnsureTenant(ctx, store.Tenant{ID: tenant})
		if err := st.SetAPIKeys(ctx, tenant, []string{tenant + "-key"}); err != nil {
			t.Fatal(err)
		}
	}
	env := &callsEnv{st: st, data: filepath.Join(dir, "data"), secret: filepath.Join(dir, "secret.wav"),
		now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	if err := os.WriteFile(env.secret, []byte("RIFF secret"), 0o600); err != nil {
		t.Fatal(err)
	}

	srv, err := New(Config{
		Store: st, Engine: &scriptedEngine{}, DataDir: env.data,
		Agents: func(string) []dialog.Agent { return []dialog.Agent{{Name: "default"}} },
		Now:    func() time.Time { return env.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	env.ts = httptest.NewServer(srv)
	t.Cleanup(env.ts.Close)
	return env
}

// addCall stores a conversation that started ago before now and lasted
// for (zero: still running), with turns.
func (e *callsEnv) addCall(t *testing.T, c store.Conversation, ago, lasted time.Duration,
	turns ...store.Turn) {
	t.Helper()
	ctx := context.Background()
	c.StartedAt = e.now.Add(-ago)
	if err := e.st.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if lasted > 0 {
		if err := e.st.EndConversation(ctx, c.ID, c.StartedAt.Add(lasted)); err != nil {
			t.Fatal(err)
		}
	}
	if len(turns) > 0 {
		if err := e.st.AppendTurns(ctx, c.ID, turns); err != nil {
			t.Fatal(err)
		}
	}
}

// record writes one second of a recording at rel in the data directory:
// the caller speaks, the agent is silent.
func (e *callsEnv) record(t *testing.T, rel string) string {
	t.Helper()
	path := filepath.Join(e.data, filepath.FromSlash(rel))
	rec, err := media.CreateRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	caller := make([]int16, 320)
	for i := range caller {
		caller[i] = int16(8000 * (i%40 - 20) / 20)
	}
	for range 50 {
		if err := rec.WriteFrame(caller, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// addStandardCalls stores demo's sip call with a recording, a running chat
// and an ended web call, and another tenant's sip call.
func (e *callsEnv) addStandardCalls(t *testing.T) {
	t.Helper()
	at := e.now.Add(-2 * time.Minute)
	e.record(t, "recordings/call-sip.wav")
	e.addCall(t, store.Conversation{ID: "call-sip", TenantID: "demo", Channel: "sip", Agent: "default",
		Recording: "recordings/call-sip.wav"}, 2*time.Minute, time.Minute,
		store.Turn{Role: "user", Text: "When do you open?", At: at.Add(3 * time.Second)},
		store.Turn{Role: "assistant", Text: "We open at nine.", At: at.Add(5 * time.Second),
			Mode: "extractive", Sources: []string{"hours.md"},
			Latency: map[string]float64{"first_audio": 640}})
	e.addCall(t, store.Conversation{ID: "chat-1", TenantID: "demo", Channel: "chat", Agent: "default"},
		30*time.Second, 0, store.Turn{Role: "user", Text: "hi", At: e.now.Add(-29 * time.Second)})
	e.addCall(t, store.Conversation{ID: "web-1", TenantID: "demo", Channel: "web", Agent: "default"},
		3*time.Minute, 90*time.Second)
	e.record(t, "recordings/other.wav")
	e.addCall(t, store.Conversation{ID: "other-call", TenantID: "other", Channel: "sip",
		Agent: "default", Recording: "recordings/other.wav"}, time.Second, 0)
}

func (e *callsEnv) get(t *testing.T, key, path string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

type callList struct {
	Object string
	Data   []struct {
		ID              string
		Channel         string
		EndedAt         *time.Time `json:"ended_at"`
		DurationSeconds float64    `json:"duration_seconds"`
		Turns           int
		RecordingURL    *string `json:"recording_url"`
	}
}

func (l callList) ids() []string {
	var ids []string
	for _, c := range l.Data {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestCallsList(t *testing.T) {
	env := newCallsEnv(t)
	env.addStandardCalls(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"chat-1", "call-sip", "web-1"}},
		{"?limit=2", []string{"chat-1", "call-sip"}},
		{"?channel=sip", []string{"call-sip"}},
		{"?channel=chat", []string{"chat-1"}},
		{"?channel=web&limit=1", []string{"web-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp := env.get(t, "demo-key", "/api/calls"+tt.query)
			var got callList
			json.NewDecoder(resp.Body).Decode(&got)
			if resp.StatusCode != 200 || got.Object != "list" || !slices.Equal(got.ids(), tt.want) {
				t.Fatalf("got %d %s %v, want 200 list %v", resp.StatusCode, got.Object, got.ids(), tt.want)
			}
		})
	}

	var all callList
	json.NewDecoder(env.get(t, "demo-key", "/api/calls").Body).Decode(&all)
	chat, sip := all.Data[0], all.Data[1]
	if chat.EndedAt != nil || chat.DurationSeconds != 30 || chat.RecordingURL != nil || chat.Turns != 1 {
		t.Fatalf("got running chat %+v, want no end, 30 s, no recording, 1 turn", chat)
	}
	if sip.EndedAt == nil || !sip.EndedAt.Equal(env.now.Add(-time.Minute)) || sip.DurationSeconds != 60 ||
		sip.RecordingURL == nil || *sip.RecordingURL != "/api/calls/call-sip/recording" || sip.Turns != 2 {
		t.Fatalf("got sip call %+v, want ended a minute ago after 60 s, a recording, 2 turns", sip)
	}
}

// TestCallsChannelFilterLooksPastOtherChannels puts the only sip call
// behind more chats than the first look at the store fetches.
func TestCallsChannelFilterLooksPastOtherChannels(t *testing.T) {
	env := newCallsEnv(t)
	env.addCall(t, store.Conversation{ID: "old-sip", TenantID: "demo", Channel: "sip"}, time.Hour, 0)
	for i := range 9 {
		env.addCall(t, store.Conversation{ID: fmt.Sprint("chat-", i), TenantID: "demo", Channel: "chat"},
			time.Duration(i+1)*time.Minute, 0)
	}
	var got callList
	json.NewDecoder(env.get(t, "demo-key", "/api/calls?channel=sip&limit=1").Body).Decode(&got)
	if !slices.Equal(got.ids(), []string{"old-sip"}) {
		t.Fatalf("got %v, want [old-sip]", got.ids())
	}
}

func TestCallDetail(t *testing.T) {
	env := newCallsEnv(t)
	env.addStandardCalls(t)
	resp := env.get(t, "demo-key", "/api/calls/call-sip")
	var got struct {
		ID, Channel string
		Turns       []struct {
			Seq              int
			Role, Text, Mode string
			At               time.Time
			Sources          []string
			Latency          map[string]float64
		}
	}
	json.NewDecoder(resp.Body).Decode(&got)
	if resp.StatusCode != 200 || got.ID != "call-sip" || got.Channel != "sip" || len(got.Turns) != 2 {
		t.Fatalf("got %d %+v, want 200 and the sip call with 2 turns", resp.StatusCode, got)
	}
	user, agent := got.Turns[0], got.Turns[1]
	if user.Seq != 1 || user.Role != "user" || user.Text != "When do you open?" ||
		!user.At.Equal(env.now.Add(-117*time.Second)) || user.Sources == nil {
		t.Fatalf("got user turn %+v", user)
	}
	if agent.Seq != 2 || agent.Mode != "extractive" || !slices.Equal(agent.Sources, []string{"hours.md"}) ||
		agent.Latency["first_audio"] != 640 {
		t.Fatalf("got agent turn %+v", agent)
	}
}

func TestCallsAuthAndTenants(t *testing.T) {
	env := newCallsEnv(t)
	env.addStandardCalls(t)
	tests := []struct {
		key, path string
		status    int
		code      string
	}{
		{"", "/api/calls", 401, "invalid_api_key"},
		{"", "/api/calls/call-sip", 401, "invalid_api_key"},
		{"", "/api/calls/call-sip/recording", 401, "invalid_api_key"},
		{"wrong-key", "/api/calls", 401, "invalid_api_key"},
		{"demo-key", "/api/calls/other-call", 404, "call_not_found"},
		{"demo-key", "/api/calls/other-call/recording", 404, "call_not_found"},
		{"demo-key", "/api/calls/nope", 404, "call_not_found"},
		{"other-key", "/api/calls/call-sip", 404, "call_not_found"},
		{"demo-key", "/api/calls?limit=0", 400, "invalid_limit"},
		{"demo-key", "/api/calls?limit=501", 400, "invalid_limit"},
		{"demo-key", "/api/calls?limit=ten", 400, "invalid_limit"},
		{"demo-key", "/api/calls?channel=fax", 400, "invalid_channel"},
	}
	for _, tt := range tests {
		t.Run(tt.key+" "+tt.path, func(t *testing.T) {
			resp := env.get(t, tt.key, tt.path)
			var e errorBody
			json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tt.status || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("got %d %+v, want %d %s", resp.StatusCode, e.Error, tt.status, tt.code)
			}
		})
	}

	var got callList
	json.NewDecoder(env.get(t, "other-key", "/api/calls").Body).Decode(&got)
	if !slices.Equal(got.ids(), []string{"other-call"}) {
		t.Fatalf("other tenant lists %v, want [other-call]", got.ids())
	}
}

func TestCallRecording(t *testing.T) {
	env := newCallsEnv(t)
	env.addStandardCalls(t)
	file, err := os.ReadFile(filepath.Join(env.data, "recordings", "call-sip.wav"))
	if err != nil {
		t.Fatal(err)
	}

	resp := env.get(t, "demo-key", "/api/calls/call-sip/recording")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "audio/wav" ||
		!bytes.Equal(body, file) {
		t.Fatalf("got %d %q with %d bytes, want 200 audio/wav with the %d bytes of the file",
			resp.StatusCode, resp.Header.Get("Content-Type"), len(body), len(file))
	}
	w, err := media.ReadWAV(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if w.Channels != 2 || w.Duration() != time.Second || peak(w.Channel(0)) == 0 ||
		peak(w.Channel(1)) != 0 {
		t.Fatalf("got %d channels, %v, peaks %d and %d, want 2, 1s, the caller left, silence right",
			w.Channels, w.Duration(), peak(w.Channel(0)), peak(w.Channel(1)))
	}

	resp = env.get(t, "demo-key", "/api/calls/call-sip/recording", "Range", "bytes=100-199")
	body, _ = io.ReadAll(resp.Body)
	wantRange := fmt.Sprintf("bytes 100-199/%d", len(file))
	if resp.StatusCode != 206 || resp.Header.Get("Content-Range") != wantRange ||
		!bytes.Equal(body, file[100:200]) {
		t.Fatalf("got %d %q with %d bytes, want 206 %q with bytes 100-199",
			resp.StatusCode, resp.Header.Get("Content-Range"), len(body), wantRange)
	}
}

func peak(pcm []int16) int {
	p := 0
	for _, s := range pcm {
		p = max(p, int(s), -int(s))
	}
	return p
}

func TestCallRecordingRefused(t *testing.T) {
	env := newCallsEnv(t)
	os.MkdirAll(filepath.Join(env.data, "recordings"), 0o755)
	if err := os.Symlink(env.secret, filepath.Join(env.data, "recordings", "link.wav")); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(env.data, "recordings", "dir.wav"), 0o755)
	tests := []struct{ id, recording string }{
		{"no-recording", ""},
		{"missing-file", "recordings/missing.wav"},
		{"dot-dot", "../secret.wav"},
		{"nested-dot-dot", "recordings/../../secret.wav"},
		{"absolute", env.secret},
		{"symlink-out", "recordings/link.wav"},
		{"directory", "recordings/dir.wav"},
	}
	for i, tt := range tests {
		env.addCall(t, store.Conversation{ID: tt.id, TenantID: "demo", Channel: "sip",
			Recording: tt.recording}, time.Duration(i+1)*time.Minute, time.Second)
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			resp := env.get(t, "demo-key", "/api/calls/"+tt.id+"/recording")
			body, _ := io.ReadAll(resp.Body)
			var e errorBody
			json.Unmarshal(body, &e)
			if resp.StatusCode != 404 || e.Error.Code != "recording_not_found" ||
				bytes.Contains(body, []byte("secret")) {
				t.Fatalf("got %d %s, want 404 recording_not_found", resp.StatusCode, body)
			}
		})
	}
}
