package qwen

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/voiced/voiced/asr/internal/wire"
)

func TestAppendEvent(t *testing.T) {
	var buf []byte
	for _, n := range []int{320, 1, 16000, 3} {
		pcm := speech(n)
		buf = appendEvent(buf, pcm)
		var ev struct {
			Type  string `json:"type"`
			Audio string `json:"audio"`
		}
		if err := json.Unmarshal(buf, &ev); err != nil {
			t.Fatalf("%d samples: invalid JSON %q: %v", n, buf, err)
		}
		raw, err := base64.StdEncoding.DecodeString(ev.Audio)
		if err != nil || ev.Type != typeAppend || len(raw) != 2*n {
			t.Fatalf("%d samples: got type %q, %d bytes, %v", n, ev.Type, len(raw), err)
		}
		for i, v := range pcm {
			if got := int16(binary.LittleEndian.Uint16(raw[2*i:])); got != v {
				t.Fatalf("%d samples: sample %d is %d, want %d", n, i, got, v)
			}
		}
	}
}

func TestDone(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name       string
		deltas     []string
		doneText   *string
		text, lang string
	}{
		{"done text", []string{"language English<asr_text>Hel"}, str("language English<asr_text>Hello."),
			"Hello.", "English"},
		{"no done text", []string{"language", " German<asr_text>", "Hallo"}, nil, "Hallo", "German"},
		{"done text only a prefix", []string{"language English<asr_text>Hi"}, str("language English<asr_text>"),
			"Hi", "English"},
		{"empty audio", nil, str("language None<asr_text>"), "", ""},
		{"done text without prefix", []string{"language French<asr_text>Oui"}, str("Oui."), "Oui.", "French"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s wire.Stream
			for _, d := range tt.deltas {
				s.Add(d)
			}
			got := done(event{Type: typeDone, Text: tt.doneText}, &s)
			if got.text != tt.text || got.lang != tt.lang || got.err != nil {
				t.Errorf("got %+v, want %q, %q", got, tt.text, tt.lang)
			}
		})
	}
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		data, typ, code, msg string
		status               int
	}{
		{`{"type":"error","error":"bad","code":"invalid_audio"}`, typeError, "invalid_audio", "bad", 0},
		{`{"type":"error","error":{"message":"m","type":"t","code":500}}`, typeError, "t", "m", 500},
		{`{"type":"rate_limits.updated","extra":[1,2]}`, "rate_limits.updated", "", "", 0},
	}
	for _, tt := range tests {
		ev, err := parseEvent([]byte(tt.data))
		if err != nil || ev.Type != tt.typ {
			t.Fatalf("parseEvent(%s) = %+v, %v", tt.data, ev, err)
		}
		if ev.Type != typeError {
			continue
		}
		ue := ev.upstreamError()
		if ue.Code != tt.code || ue.Message != tt.msg || ue.Status != tt.status {
			t.Errorf("parseEvent(%s): got %+v", tt.data, ue)
		}
	}
}

func FuzzParseEvent(f *testing.F) {
	for _, seed := range []string{`{"type":"transcription.delta","delta":"language"}`,
		`{"type":"transcription.done","text":null}`, `{"type":"error","error":{}}`, `{`, `[]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := parseEvent(data)
		if err == nil && ev.Type == typeError {
			_ = ev.upstreamError().Error()
		}
		var s wire.Stream
		s.Add(ev.Delta)
		done(ev, &s)
	})
}
