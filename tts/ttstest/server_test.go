package ttstest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func post(t *testing.T, s *Server, body string) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := http.Post(s.URL+SpeechPath, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

func TestAutoFormat(t *testing.T) {
	speech := pcmBytes(SpeechFor("Hi."))
	tests := []struct {
		name        string
		body        string
		contentType string
		check       func([]byte) bool
	}{
		{"stream_format audio: raw pcm", `{"input":"Hi.","stream":true,"stream_format":"audio"}`,
			"audio/pcm", func(b []byte) bool { return bytes.Equal(b, speech) }},
		{"stream: sse", `{"input":"Hi.","stream":true}`, "text/event-stream",
			func(b []byte) bool {
				return strings.HasPrefix(string(b), `data: {"audio":`) &&
					strings.Contains(string(b), `data: {"type":"speech.audio.done"`)
			}},
		{"no stream: one wav file", `{"input":"Hi."}`, "audio/wav", func(b []byte) bool {
			return string(b[:4]) == "RIFF" && binary.LittleEndian.Uint32(b[40:]) == 1440 &&
				bytes.Equal(b[44:], speech)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer(t)
			resp, body, err := post(t, s, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Fatalf("got Content-Type %q, want %q", got, tt.contentType)
			}
			if !tt.check(body) {
				t.Fatalf("got body %.200q", body)
			}
		})
	}
}

func TestRejects(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		text   string
	}{
		{"speed when streaming", "POST", SpeechPath, `{"input":"a","stream":true,"speed":1.5}`,
			400, "speed must be 1.0"},
		{"empty input", "POST", SpeechPath, `{"input":" "}`, 400, "cannot be empty"},
		{"not json", "POST", SpeechPath, `{`, 400, "invalid JSON"},
		{"get", "GET", SpeechPath, "", 405, "Method Not Allowed"},
		{"unknown path", "POST", "/v1/audio/voices", "", 404, "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer(t)
			req, _ := http.NewRequest(tt.method, s.URL+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct {
				Error struct {
					Message string `json:"message"`
					Code    int    `json:"code"`
				} `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || e.Error.Code != tt.status ||
				!strings.Contains(e.Error.Message, tt.text) {
				t.Fatalf("got %d %+v, want %d saying %q", resp.StatusCode, e, tt.status, tt.text)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	s := NewServer(t)
	s.RequireKey("k")
	resp, _, _ := post(t, s, `{"input":"a"}`)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without the key: got %d, want 401", resp.StatusCode)
	}

	s.RequireKey("")
	s.Enqueue(Script{Format: PCM, DisconnectAfter: 2})
	_, body, err := post(t, s, `{"input":"Hello."}`)
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(body) != 2*960 {
		t.Fatalf("got %d bytes and %v, want two chunks and a reply cut short", len(body), err)
	}

	s.Enqueue(Script{Format: SSE, ErrorAfter: 1, ErrorMessage: "oom"})
	_, body, _ = post(t, s, `{"input":"Hello."}`)
	if !strings.Contains(string(body), `"type":"speech.audio.error"`) ||
		strings.Count(string(body), "speech.audio.delta") != 1 {
		t.Fatalf("got %q, want one delta then an error event", body)
	}

	if got := s.Count(); got != 3 {
		t.Fatalf("got %d requests, want 3", got)
	}
	if r := s.Requests()[2]; r.Input != "Hello." || string(r.Fields["input"]) != `"Hello."` {
		t.Fatalf("got request %+v, want its input recorded", r)
	}
}

func TestStreamSession(t *testing.T) {
	s := NewServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, strings.Replace(s.URL, "http", "ws", 1)+
		SpeechStreamPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	for _, msg := range []string{
		`{"type":"session.config","voice":"vivian","response_format":"pcm","stream_audio":true}`,
		`{"type":"input.text","text":"Hi. "}`, `{"type":"input.text","text":"Yo"}`,
		`{"type":"input.done"}`,
	} {
		if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}

	var events []string
	audio := 0
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if typ == websocket.MessageBinary {
			audio += len(data)
			continue
		}
		var ev struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(data, &ev)
		events = append(events, ev.Type)
		if ev.Type == "session.done" {
			break
		}
	}
	if got, want := strings.Join(events, " "), "audio.start audio.done session.done"; got != want {
		t.Fatalf("got events %q, want %q", got, want)
	}
	if want := 2 * len(SpeechFor("Hi. Yo")); audio != want {
		t.Fatalf("got %d bytes of audio, want %d", audio, want)
	}
	if r := s.Requests()[0]; strings.Join(r.Texts, "|") != "Hi. |Yo" || r.Voice != "vivian" {
		t.Fatalf("got session %+v, want its config and texts recorded", r)
	}
}
