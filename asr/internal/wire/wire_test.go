package wire

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/voiced/voiced/asr"
)

func TestEndpoints(t *testing.T) {
	tests := []struct {
		base, rest, ws string
	}{
		{"http://gpu:8000", "http://gpu:8000/v1/audio/transcriptions", "ws://gpu:8000/v1/realtime"},
		{"http://gpu:8000/", "http://gpu:8000/v1/audio/transcriptions", "ws://gpu:8000/v1/realtime"},
		{"http://gpu:8000/v1", "http://gpu:8000/v1/audio/transcriptions", "ws://gpu:8000/v1/realtime"},
		{"http://gpu:8000/v1/", "http://gpu:8000/v1/audio/transcriptions", "ws://gpu:8000/v1/realtime"},
		{"https://asr.example.com", "https://asr.example.com/v1/audio/transcriptions",
			"wss://asr.example.com/v1/realtime"},
		{"wss://proxy/asr/v1/realtime", "https://proxy/asr/v1/audio/transcriptions",
			"wss://proxy/asr/v1/realtime"},
		{"ws://gpu:8000/v1/audio/transcriptions", "http://gpu:8000/v1/audio/transcriptions",
			"ws://gpu:8000/v1/realtime"},
		{"HTTP://gpu:8000/qwen%20asr/", "http://gpu:8000/qwen%20asr/v1/audio/transcriptions",
			"ws://gpu:8000/qwen%20asr/v1/realtime"},
		{"http://[::1]:8000?tenant=a", "http://[::1]:8000/v1/audio/transcriptions?tenant=a",
			"ws://[::1]:8000/v1/realtime?tenant=a"},
		{" http://gpu:8000 ", "http://gpu:8000/v1/audio/transcriptions", "ws://gpu:8000/v1/realtime"},
	}
	for _, tt := range tests {
		rest, ws, err := Endpoints(tt.base)
		if err != nil || rest != tt.rest || ws != tt.ws {
			t.Errorf("Endpoints(%q) = %q, %q, %v; want %q, %q", tt.base, rest, ws, err, tt.rest, tt.ws)
		}
	}
}

func TestEndpointsInvalid(t *testing.T) {
	for _, base := range []string{"", "gpu:8000", "ftp://gpu", "http://", "http://u:p@gpu:8000",
		"http://gpu:8000/#x", "://x"} {
		if rest, ws, err := Endpoints(base); err == nil {
			t.Errorf("Endpoints(%q) = %q, %q; want an error", base, rest, ws)
		}
	}
}

func TestHTTPError(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"vllm nested", `{"error":{"message":"bad audio","type":"BadRequestError","param":null,"code":400}}`,
			400, "BadRequestError", "bad audio"},
		{"vllm flat", `{"object":"error","message":"model not found","type":"NotFoundError","code":404}`,
			404, "NotFoundError", "model not found"},
		{"fastapi detail", `{"detail":"Not authenticated"}`, 401, "", "Not authenticated"},
		{"fastapi validation", `{"detail":[{"loc":["body","file"],"msg":"Field required"}]}`, 422, "",
			`Field required ["body","file"]`},
		{"plain text", "upstream  connect error\n", 502, "", "upstream connect error"},
		{"empty", "", 503, "", "Service Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := HTTPError("x", tt.status, []byte(tt.body))
			if e.Status != tt.status || e.Code != tt.code || e.Message != tt.msg {
				t.Errorf("got %d %q %q, want %d %q %q", e.Status, e.Code, e.Message, tt.status, tt.code, tt.msg)
			}
		})
	}
	if e := HTTPError("x", 403, []byte(`{}`)); !errors.Is(e, asr.ErrUnauthorized) {
		t.Errorf("got %v not matching ErrUnauthorized, want a match for 403", e)
	}
}

func TestErrorDetail(t *testing.T) {
	tests := []struct {
		name, errField, codeField string
		status                    int
		code, msg                 string
	}{
		{"realtime string", `"audio is not base64"`, `"invalid_audio"`, 0, "invalid_audio", "audio is not base64"},
		{"object with numeric code", `{"message":"boom","type":"InternalServerError","code":500}`, ``,
			500, "InternalServerError", "boom"},
		{"object with string code", `{"message":"m","code":"503"}`, ``, 503, "", "m"},
		{"mlx", `{"message":"no model","type":"ValueError"}`, ``, 0, "ValueError", "no model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code, msg := ErrorDetail([]byte(tt.errField), []byte(tt.codeField))
			if status != tt.status || code != tt.code || msg != tt.msg {
				t.Errorf("got %d %q %q, want %d %q %q", status, code, msg, tt.status, tt.code, tt.msg)
			}
		})
	}
}

func TestWAV(t *testing.T) {
	b := WAV([]int16{1, -2, 32767}, 16000)
	if got, want := len(b), 44+6; got != want {
		t.Fatalf("got %d bytes, want %d", got, want)
	}
	checks := []struct {
		name      string
		got, want uint32
	}{
		{"riff size", binary.LittleEndian.Uint32(b[4:]), uint32(len(b) - 8)},
		{"rate", binary.LittleEndian.Uint32(b[24:]), 16000},
		{"byte rate", binary.LittleEndian.Uint32(b[28:]), 32000},
		{"channels", uint32(binary.LittleEndian.Uint16(b[22:])), 1},
		{"bits", uint32(binary.LittleEndian.Uint16(b[34:])), 16},
		{"data size", binary.LittleEndian.Uint32(b[40:]), 6},
		{"sample 1", uint32(binary.LittleEndian.Uint16(b[46:])), 0xfffe},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestLanguage(t *testing.T) {
	tests := []struct{ in, code, name string }{
		{"en", "en", "English"}, {"en-US", "en", "English"}, {"English", "en", "English"},
		{"german", "de", "German"}, {"yue", "yue", "Cantonese"}, {"xx", "xx", "xx"},
	}
	for _, tt := range tests {
		if got := LanguageCode(tt.in); got != tt.code {
			t.Errorf("LanguageCode(%q) = %q, want %q", tt.in, got, tt.code)
		}
		if got := LanguageName(tt.in); got != tt.name {
			t.Errorf("LanguageName(%q) = %q, want %q", tt.in, got, tt.name)
		}
	}
}
