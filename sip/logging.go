package sip

import (
	"context"
	"log/slog"
	"strings"
)

// sipgoLogs adapts our logger for sipgo, which logs freely: its errors
// become warnings, everything else debug, and messages that failed to
// parse or to form a transaction are counted instead of logged, since
// anyone can send them.
type sipgoLogs struct {
	next      slog.Handler
	malformed func()
}

// newSipgoLogger returns the logger to hand to sipgo's layers.
func newSipgoLogger(base *slog.Logger, malformed func()) *slog.Logger {
	return slog.New(&sipgoLogs{next: base.Handler(), malformed: malformed})
}

// Enabled reports whether sipgo should bother building a record.
func (h *sipgoLogs) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, lowered(level))
}

// Handle counts parse failures and forwards the rest at a lower level.
func (h *sipgoLogs) Handle(ctx context.Context, r slog.Record) error {
	level := lowered(r.Level)
	switch r.Message {
	case "failed to parse":
		h.malformed()
		return nil
	case "Server tx failed to handle request":
		// A request without Via or CSeq: sipgo answered 400 itself.
		if attrContains(r, "error", "make key failed") {
			h.malformed()
		}
		level = slog.LevelDebug
	}
	if !h.next.Enabled(ctx, level) {
		return nil
	}
	out := slog.NewRecord(r.Time, level, "sipgo: "+r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(a)
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs keeps the adaptation for derived loggers.
func (h *sipgoLogs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &sipgoLogs{next: h.next.WithAttrs(attrs), malformed: h.malformed}
}

// WithGroup keeps the adaptation for derived loggers.
func (h *sipgoLogs) WithGroup(name string) slog.Handler {
	return &sipgoLogs{next: h.next.WithGroup(name), malformed: h.malformed}
}

func lowered(l slog.Level) slog.Level {
	if l >= slog.LevelError {
		return slog.LevelWarn
	}
	return slog.LevelDebug
}

// attrContains reports whether r's attribute key holds text.
func attrContains(r slog.Record, key, text string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key && strings.Contains(a.Value.String(), text) {
			found = true
			return false
		}
		return true
	})
	return found
}
