package asrtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// dial opens a raw realtime socket to s.
func dial(t *testing.T, s *Server) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/v1/realtime", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

func send(t *testing.T, ws *websocket.Conn, msg string) {
	t.Helper()
	if err := ws.Write(context.Background(), websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("write %s: %v", msg, err)
	}
}

// events reads server events up to transcription.done or an error.
func events(t *testing.T, ws *websocket.Conn) []map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []map[string]any
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return out
		}
		var ev map[string]any
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatalf("server sent invalid JSON %s", data)
		}
		out = append(out, ev)
		if ev["type"] == "transcription.done" || ev["type"] == "error" {
			return out
		}
	}
}

func pcmBase64(samples int) string {
	return base64.StdEncoding.EncodeToString(make([]byte, 2*samples))
}

func TestRealtimeWire(t *testing.T) {
	CheckGoroutines(t)
	s := NewServer(t)
	ws := dial(t, s)
	send(t, ws, `{"type":"session.update","model":"m","language":"en","prompt":"p"}`)
	send(t, ws, `{"type":"input_audio_buffer.commit"}`)
	send(t, ws, `{"type":"input_audio_buffer.append","audio":"`+pcmBase64(1600)+`"}`)
	send(t, ws, `{"type":"input_audio_buffer.append","audio":"`+pcmBase64(800)+`"}`)
	send(t, ws, `{"type":"input_audio_buffer.commit","final":true}`)

	evs := events(t, ws)
	var types, deltas []string
	for _, ev := range evs {
		types = append(types, ev["type"].(string))
		if d, ok := ev["delta"].(string); ok {
			deltas = append(deltas, d)
		}
	}
	wantTypes := []string{"session.created", "session.updated", "transcription.delta",
		"transcription.delta", "transcription.delta", "transcription.delta", "transcription.delta",
		"transcription.done"}
	if !slices.Equal(types, wantTypes) {
		t.Errorf("got events %q, want %q", types, wantTypes)
	}
	if want := []string{"language", " English", "<asr", "_text>", "Hello."}; !slices.Equal(deltas, want) {
		t.Errorf("got deltas %q, want %q", deltas, want)
	}
	if got, want := evs[len(evs)-1]["text"], "language English<asr_text>Hello."; got != want {
		t.Errorf("got done text %q, want %q", got, want)
	}

	rec := s.Sessions()[0]
	wantEvents := []string{"session.update", "input_audio_buffer.commit", "input_audio_buffer.append",
		"input_audio_buffer.append", EventFinalCommit}
	if !slices.Equal(rec.Events, wantEvents) || rec.Samples != 2400 || rec.Appends != 2 ||
		rec.Model != "m" || rec.Language != "en" || rec.Prompt != "p" || len(rec.Violations) != 0 {
		t.Errorf("got record %+v", rec)
	}
}

func TestRealtimeViolations(t *testing.T) {
	CheckGoroutines(t)
	s := NewServer(t)
	ws := dial(t, s)
	send(t, ws, `{"type":"input_audio_buffer.append","audio":"`+pcmBase64(10)+`"}`)
	send(t, ws, `{"type":"input_audio_buffer.append","audio":""}`)
	send(t, ws, `{"type":"input_audio_buffer.append","audio":"AAAA"}`)
	send(t, ws, `{"type":"input_audio_buffer.commit","final":true}`)
	events(t, ws)
	if got := s.Sessions()[0].Violations; len(got) != 5 {
		t.Errorf("got violations %q, want 5 (3 before the commit, 1 empty, 1 odd)", got)
	}
}

func TestRealtimeEmptyAudio(t *testing.T) {
	CheckGoroutines(t)
	s := NewServer(t)
	ws := dial(t, s)
	send(t, ws, `{"type":"input_audio_buffer.commit"}`)
	send(t, ws, `{"type":"input_audio_buffer.commit","final":true}`)
	evs := events(t, ws)
	if got, want := evs[len(evs)-1]["text"], "language None<asr_text>"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRealtimeRefusals(t *testing.T) {
	CheckGoroutines(t)
	s := NewServer(t)
	s.EnqueueRealtime(Script{Status: 503, Message: "overloaded"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(s.URL, "http") + "/v1/realtime"
	if _, resp, err := websocket.Dial(ctx, url, nil); err == nil || resp == nil || resp.StatusCode != 503 {
		t.Errorf("got %v, want a 503 refusal", err)
	}
	s.RequireKey("k")
	if _, resp, err := websocket.Dial(ctx, url, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("got %v, want a 401 refusal", err)
	}
}

// post sends a transcription request with samples of silence.
func post(t *testing.T, s *Server, samples int, fields map[string]string) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	part, _ := w.CreateFormFile("file", "a.wav")
	part.Write(testWAV(samples))
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.Close()
	resp, err := http.Post(s.URL+"/v1/audio/transcriptions", w.FormDataContentType(), &b)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	http.DefaultClient.CloseIdleConnections()
	return resp, string(body)
}

// testWAV is a canonical 16 kHz mono WAV file of silence.
func testWAV(samples int) []byte {
	b := make([]byte, 44+2*samples)
	copy(b, "RIFF")
	le32(b[4:], 36+2*samples)
	copy(b[8:], "WAVEfmt ")
	le32(b[16:], 16)
	b[20], b[22] = 1, 1
	le32(b[24:], 16000)
	le32(b[28:], 32000)
	b[32], b[34] = 2, 16
	copy(b[36:], "data")
	le32(b[40:], 2*samples)
	return b
}

func le32(b []byte, v int) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func TestRESTFormats(t *testing.T) {
	CheckGoroutines(t)
	s := NewServer(t)
	tests := []struct {
		name    string
		samples int
		fields  map[string]string
		script  Script
		ctype   string
		body    string
	}{
		{"json", 1600, map[string]string{"response_format": "json"}, Script{}, "application/json",
			`{"text":"language English\u003casr_text\u003eHello.","usage":{"seconds":1,"type":"duration"}}`},
		{"empty audio", 0, nil, Script{}, "application/json",
			`{"text":"language None\u003casr_text\u003e","usage":{"seconds":1,"type":"duration"}}`},
		{"text", 1600, map[string]string{"response_format": "text"}, Script{}, "text/plain; charset=utf-8",
			"language English<asr_text>Hello."},
		{"ndjson", 1600, nil, Script{Format: FormatNDJSON, Text: "Hi there"}, "application/x-ndjson",
			strings.Join([]string{`{"text":"language"}`, `{"text":" English"}`, `{"text":"\u003casr"}`,
				`{"text":"_text\u003e"}`, `{"text":"Hi"}`, `{"text":" there"}`, ""}, "\n")},
		{"sse error mid-stream", 1600, map[string]string{"stream": "true"},
			Script{ErrorMessage: "boom", ErrorAfterDeltas: 1}, "text/event-stream; charset=utf-8",
			": ping\n" +
				`data: {"choices":[{"delta":{"content":"language"}}],"created":1,` +
				`"id":"trsc-fake","model":"fake","object":"transcription.chunk"}` + "\n\n" + `data: {"error":{"code":500,"message":"boom","type":"InternalServerError"}}` + "\n\n" +
				"data: [DONE]\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.EnqueueREST(tt.script)
			resp, body := post(t, s, tt.samples, tt.fields)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tt.ctype || body != tt.body {
				t.Errorf("got %d %q\n%s\nwant 200 %q\n%s", resp.StatusCode,
					resp.Header.Get("Content-Type"), body, tt.ctype, tt.body)
			}
		})
	}
	reqs := s.Requests()
	if got := reqs[0]; got.Samples != 1600 || got.SampleRate != 16000 || got.FileName != "a.wav" ||
		len(got.Violations) != 0 {
		t.Errorf("got request record %+v", got)
	}
}

func TestRESTStreamUsage(t *testing.T) {
	CheckGoroutines(t)
	s := NewServer(t)
	_, body := post(t, s, 16000, map[string]string{"stream": "true", "stream_include_usage": "true"})
	if !strings.Contains(body, `"choices":[]`) || !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Errorf("got %q, want a usage chunk with empty choices, then [DONE]", body)
	}
}

func TestRESTRefusals(t *testing.T) {
	CheckGoroutines(t)
	s := NewServer(t)
	s.EnqueueREST(Script{Status: 500, Message: "oom"})
	resp, body := post(t, s, 10, nil)
	if resp.StatusCode != 500 || !strings.Contains(body, `"message":"oom"`) {
		t.Errorf("got %d %s, want 500 with the message", resp.StatusCode, body)
	}
	resp, body = post(t, s, 10, nil)
	if resp.StatusCode != 200 {
		t.Errorf("got %d %s after the queue, want 200", resp.StatusCode, body)
	}

	s.Refuse()
	if _, err := http.Get(s.URL); err == nil {
		t.Errorf("got a connection while refusing, want an error")
	}
	s.Resume()
	if resp, _ := post(t, s, 10, nil); resp.StatusCode != 200 {
		t.Errorf("got %d after Resume, want 200", resp.StatusCode)
	}
}
