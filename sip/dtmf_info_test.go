package sip

import (
	"errors"
	"testing"
)

func TestParseDTMFInfo(t *testing.T) {
	tests := []struct {
		contentType string
		body        string
		want        rune
		wantCode    int
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', 0},
		{"application/dtmf-relay", "signal= #\r\n", '#', 0},
		{"application/dtmf-relay", "Signal=10\r\nDuration=100\r\n", '*', 0},
		{"application/dtmf-relay", "Signal=11\r\n", '#', 0},
		{"application/dtmf-relay", "Signal=d\r\n", 'D', 0},
		{"application/dtmf-relay", "Duration=160\r\n", 0, 400},
		{"application/dtmf-relay", "Signal=E\r\n", 0, 400},
		{"application/dtmf", "7", '7', 0},
		{"application/dtmf", "77", 0, 400},
		{"text/plain", "5", 0, 415},
	}
	for _, tt := range tests {
		got, err := parseDTMFInfo(tt.contentType, []byte(tt.body))
		var se *StatusError
		switch {
		case tt.wantCode != 0 && (!errors.As(err, &se) || se.Code != tt.wantCode):
			t.Errorf("%s %q: got %v, want status %d", tt.contentType, tt.body, err, tt.wantCode)
		case tt.wantCode == 0 && (err != nil || got != tt.want):
			t.Errorf("%s %q: got %q %v, want %q", tt.contentType, tt.body, got, err, tt.want)
		}
	}
}

func TestParseSipfrag(t *testing.T) {
	tests := []struct {
		body    string
		want    int
		wantErr bool
	}{
		{"SIP/2.0 200 OK\r\n", 200, false},
		{"SIP/2.0 100 Trying", 100, false},
		{"SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n", 486, false},
		{"INVITE sip:a@b SIP/2.0\r\n", 0, true},
		{"SIP/2.0 2000 OK\r\n", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSipfrag([]byte(tt.body))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseSipfrag(%q): got %d %v, want %d (error %v)", tt.body, got, err,
				tt.want, tt.wantErr)
		}
	}
}

func TestReferTarget(t *testing.T) {
	tests := []struct {
		target, want string
		wantErr      bool
	}{
		{"200", "sip:200@pbx.example.net", false},
		{"+4930123456", "sip:+4930123456@pbx.example.net", false},
		{"sip:agent@queue.example.net", "sip:agent@queue.example.net", false},
		{"tel:+4930123456", "tel:+4930123456", false},
		{"", "", true},
		{"200@elsewhere", "", true},
		{"a b", "", true},
	}
	for _, tt := range tests {
		got, err := referTarget(tt.target, "pbx.example.net")
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("referTarget(%q): got %q %v, want %q (error %v)", tt.target, got, err,
				tt.want, tt.wantErr)
		}
	}
}
