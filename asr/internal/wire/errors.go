package wire

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/voiced/voiced/asr"
)

// maxDetail bounds the length of an upstream message kept in an error.
const maxDetail = 300

// HTTPError turns a non-2xx reply into an UpstreamError. It reads the
// nested {"error":{"message","type","code"}} of current vLLM and OpenAI,
// the flat {"message","type","code"} of older vLLM, and FastAPI's
// {"detail":...} (mlx-audio, vLLM's validation errors); any other body is
// kept as the message.
func HTTPError(backend string, status int, body []byte) *asr.UpstreamError {
	e := &asr.UpstreamError{Backend: backend, Status: status}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) == nil {
		switch {
		case top["error"] != nil:
			_, e.Code, e.Message = ErrorDetail(top["error"], top["code"])
		case top["message"] != nil:
			e.Message, e.Code = scalar(top["message"]), scalar(top["type"])
		case top["detail"] != nil:
			e.Message = detail(top["detail"])
		}
	}
	if e.Message == "" {
		e.Message = strings.Join(strings.Fields(string(body)), " ")
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	e.Message = Truncate(e.Message)
	return e
}

// ErrorDetail reads an error field that is either a message string, with
// the code beside it (vLLM realtime: {"error":"...","code":"invalid_audio"}),
// or an object {"message","type","code"} (REST, in-stream errors). status
// is the code when the code is an HTTP status, as vLLM sends it.
func ErrorDetail(errField, codeField json.RawMessage) (status int, code, message string) {
	var obj struct {
		Message json.RawMessage `json:"message"`
		Type    json.RawMessage `json:"type"`
		Code    json.RawMessage `json:"code"`
	}
	if json.Unmarshal(errField, &obj) == nil && len(errField) > 0 && errField[0] == '{' {
		message, code, codeField = scalar(obj.Message), scalar(obj.Type), obj.Code
	} else {
		message = scalar(errField)
	}
	c := scalar(codeField)
	if n, err := strconv.Atoi(c); err == nil {
		if n >= 100 && n <= 599 {
			status = n
		}
	} else if code == "" {
		code = c
	}
	return status, code, Truncate(message)
}

// detail reads FastAPI's detail, a string or a list of {"msg"} objects.
func detail(raw json.RawMessage) string {
	var list []struct {
		Msg string          `json:"msg"`
		Loc json.RawMessage `json:"loc"`
	}
	if json.Unmarshal(raw, &list) != nil {
		return scalar(raw)
	}
	var msgs []string
	for _, d := range list {
		msgs = append(msgs, strings.TrimSpace(d.Msg+" "+string(d.Loc)))
	}
	return strings.Join(msgs, "; ")
}

// scalar returns a JSON string's value, or any other JSON value as written.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// Truncate shortens an upstream message to a length fit for an error.
func Truncate(s string) string {
	if len(s) <= maxDetail {
		return s
	}
	cut := maxDetail
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}
