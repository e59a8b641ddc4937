package openai

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// readBody reads body as a reply of the given content type.
func readBody(ctype, body string, max int64) (string, string, error) {
	resp := &http.Response{Header: http.Header{"Content-Type": {ctype}},
		Body: io.NopCloser(strings.NewReader(body))}
	var emitted bool
	r := replyReader{backend: "t", max: max, emitted: &emitted, partial: func(string) {}}
	res, err := r.read(resp)
	return res.Text, res.Language, err
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		name, ctype, body, text, lang string
		fails                         bool
	}{
		{"json", "application/json", `{"text":"language English<asr_text>Hi.","usage":{"seconds":1}}`,
			"Hi.", "English", false},
		{"pretty json", "application/json", "{\n  \"text\": \"Hi.\"\n}\n", "Hi.", "", false},
		{"ndjson with language", "application/x-ndjson", "{\"text\":\"Hal\"}\n{\"text\":\"lo\",\"language\":\"de\"}\n",
			"Hallo", "de", false},
		{"openai stream", "text/event-stream",
			"data: {\"type\":\"transcript.text.delta\",\"delta\":\"Hi\"}\n\n" +
				"data: {\"type\":\"transcript.text.done\",\"text\":\"Hi there.\"}\n\n", "Hi there.", "", false},
		{"sse without space and crlf", "text/event-stream",
			"event: chunk\r\ndata:{\"choices\":[{\"delta\":{\"content\":\"Yo\"}}]}\r\n\r\ndata:[DONE]\r\n\r\n",
			"Yo", "", false},
		{"sse data split over lines", "text/event-stream",
			"data: {\"choices\":\ndata: [{\"delta\":{\"content\":\"A\"}}]}\n\ndata: [DONE]\n", "A", "", false},
		{"sse without done", "text/event-stream", "data: {\"choices\":[]}\n\n", "", "", true},
		{"json without text", "application/json", `{"usage":{}}`, "", "", true},
		{"empty body", "application/json", "", "", "", true},
		{"html", "text/html", "<html>502</html>", "", "", true},
		{"language as a list", "application/json", `{"text":"Hi","language":["en"],"segments":[{}]}`,
			"Hi", "", false},
		{"plain text", "text/plain", "language English<asr_text>Plain.", "Plain.", "English", false},
		{"too large", "application/json", `{"text":"` + strings.Repeat("a", 100) + `"}`, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, lang, err := readBody(tt.ctype, tt.body, 64)
			if tt.name != "too large" {
				text, lang, err = readBody(tt.ctype, tt.body, 1<<20)
			}
			if (err != nil) != tt.fails || text != tt.text || lang != tt.lang {
				t.Errorf("got %q, %q, %v; want %q, %q, failure %v", text, lang, err, tt.text, tt.lang, tt.fails)
			}
		})
	}
}

func FuzzReadReply(f *testing.F) {
	f.Add("text/event-stream", "data: {\"choices\":[{\"delta\":{\"content\":\"language\"}}]}\n\ndata: [DONE]\n\n")
	f.Add("application/json", `{"text":"language English<asr_text>Hi"}`)
	f.Add("application/x-ndjson", "{\"text\":\"a\"}\n{\"error\":{\"message\":\"m\"}}\n")
	f.Add("text/plain", "x")
	f.Fuzz(func(t *testing.T, ctype, body string) {
		text, _, err := readBody(ctype, body, 4096)
		if err == nil && strings.Contains(text, "<asr_text>") {
			t.Errorf("got %q with the tag", text)
		}
	})
}
