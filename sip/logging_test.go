package sip

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestSipgoLogs(t *testing.T) {
	tests := []struct {
		name          string
		level         slog.Level
		msg           string
		attrs         []any
		wantLogged    string
		wantMalformed int
	}{
		{name: "parse failure is counted", level: slog.LevelError, msg: "failed to parse",
			attrs: []any{"data", "garbage"}, wantMalformed: 1},
		{name: "transactionless request is counted", level: slog.LevelError,
			msg:   "Server tx failed to handle request",
			attrs: []any{"error", errors.New("make key failed: no Via")}, wantMalformed: 1},
		{name: "errors become warnings", level: slog.LevelError, msg: "Read connection error",
			wantLogged: "level=WARN msg=\"sipgo: Read connection error\""},
		{name: "info becomes debug", level: slog.LevelInfo, msg: "New connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			malformed := 0
			base := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
			log := newSipgoLogger(base, func() { malformed++ })
			log.Log(t.Context(), tt.level, tt.msg, tt.attrs...)
			if malformed != tt.wantMalformed {
				t.Errorf("malformed: got %d, want %d", malformed, tt.wantMalformed)
			}
			got := out.String()
			if tt.wantLogged == "" && got != "" || !strings.Contains(got, tt.wantLogged) {
				t.Errorf("logged: got %q, want %q", got, tt.wantLogged)
			}
		})
	}
}
