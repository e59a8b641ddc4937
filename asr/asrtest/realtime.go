package asrtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// EventFinalCommit is how Session.Events records
// {"type":"input_audio_buffer.commit","final":true}.
const EventFinalCommit = "input_audio_buffer.commit(final)"

// Session is what the realtime endpoint received on one socket.
type Session struct {
	// Header is the handshake's header.
	Header http.Header
	// Events are the client's event types in order, the final commit as
	// EventFinalCommit.
	Events []string
	// Model, Language and Prompt are the fields of session.update.
	Model, Language, Prompt string
	// Samples is how many PCM16 samples the appends carried.
	Samples int
	// Appends is how many input_audio_buffer.append events came.
	Appends int
	// Violations are the protocol errors the server noticed, such as audio
	// before the first commit or an empty append.
	Violations []string
}

func (r *Session) clone() Session {
	c := *r
	c.Header = r.Header.Clone()
	c.Events = slices.Clone(r.Events)
	c.Violations = slices.Clone(r.Violations)
	return c
}

// rtConn is one realtime socket being served.
type rtConn struct {
	s    *Server
	ws   *websocket.Conn
	ctx  context.Context
	sc   Script
	rec  *Session
	sent int // deltas sent
	segs int // segments sent
	raw  strings.Builder
	open bool // the opening commit came
}

// clientEvent is any event a client sends.
type clientEvent struct {
	Type     string  `json:"type"`
	Audio    *string `json:"audio"`
	Final    bool    `json:"final"`
	Model    string  `json:"model"`
	Language string  `json:"language"`
	Prompt   string  `json:"prompt"`
}

// serveRealtime serves one socket (protocols.md 1b).
func (s *Server) serveRealtime(w http.ResponseWriter, r *http.Request) {
	rec := &Session{Header: r.Header.Clone()}
	s.mu.Lock()
	s.sessions = append(s.sessions, rec)
	s.mu.Unlock()
	sc := s.take(&s.realtime)
	switch {
	case !s.authorized(r):
		writeError(w, http.StatusUnauthorized, "Incorrect API key provided.")
		return
	case sc.Status != 0:
		writeError(w, sc.Status, sc.Message)
		return
	}

	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ws.SetReadLimit(-1)
	c := &rtConn{s: s, ws: ws, ctx: s.ctx, sc: sc, rec: rec}
	if !sleep(c.ctx, sc.Delay) {
		return
	}
	if c.send(map[string]any{"type": "session.created", "id": "sess-fake",
		"created": time.Now().Unix()}) != nil {
		return
	}
	c.loop()
}

// loop reads client events until the transcript is sent or the socket
// ends, then waits for the client to close.
func (c *rtConn) loop() {
	for {
		_, data, err := c.ws.Read(c.ctx)
		if err != nil {
			return
		}
		var ev clientEvent
		if err := json.Unmarshal(data, &ev); err != nil {
			c.violation("invalid JSON: %v", err)
			c.sendError("invalid_json", err.Error())
			continue
		}
		done, ok := c.handle(ev)
		if !ok {
			return
		}
		if done {
			c.drain()
			return
		}
	}
}

// handle takes in one client event. done reports that the transcript was
// sent; ok is false when the socket was dropped.
func (c *rtConn) handle(ev clientEvent) (done, ok bool) {
	name := ev.Type
	if ev.Type == "input_audio_buffer.commit" && ev.Final {
		name = EventFinalCommit
	}
	c.record(func(r *Session) { r.Events = append(r.Events, name) })

	switch name {
	case "session.update":
		c.record(func(r *Session) { r.Model, r.Language, r.Prompt = ev.Model, ev.Language, ev.Prompt })
		// Not in the protocol: clients must ignore event types they do not
		// know.
		return false, c.send(map[string]any{"type": "session.updated", "note": "unknown"}) == nil
	case "input_audio_buffer.commit":
		c.open = true
		if c.sc.Stall {
			<-c.ctx.Done()
			return false, false
		}
		return false, true
	case "input_audio_buffer.append":
		return false, c.appended(ev)
	case EventFinalCommit:
		return true, c.transcribe()
	}
	c.violation("unknown event type %q", ev.Type)
	return false, c.sendError("unknown_event", "unknown event type "+ev.Type) == nil
}

// appended takes in an append, then plays the faults and segments that
// depend on the audio so far.
func (c *rtConn) appended(ev clientEvent) bool {
	pcm, err := []byte(nil), error(nil)
	switch {
	case ev.Audio == nil || *ev.Audio == "":
		c.violation("append %d without audio", c.rec.Appends+1)
	default:
		pcm, err = base64.StdEncoding.DecodeString(*ev.Audio)
	}
	switch {
	case err != nil:
		c.violation("append %d: invalid base64: %v", c.rec.Appends+1, err)
	case len(pcm)%2 != 0:
		c.violation("append %d: odd byte count %d", c.rec.Appends+1, len(pcm))
	}
	if !c.open {
		c.violation("append %d before the first commit", c.rec.Appends+1)
	}
	appends, samples := 0, 0
	c.record(func(r *Session) {
		r.Appends++
		r.Samples += len(pcm) / 2
		appends, samples = r.Appends, r.Samples
	})

	switch {
	case c.sc.DropAfterAppends > 0 && appends >= c.sc.DropAfterAppends:
		return false
	case c.sc.ErrorMessage != "" && c.sc.ErrorAfterAppends > 0 && appends == c.sc.ErrorAfterAppends:
		return c.sendError(c.sc.ErrorCode, c.sc.ErrorMessage) == nil
	}
	for c.segs < len(c.sc.Segments)-1 && samples >= (c.segs+1)*segmentSamples {
		if !c.deltas(c.sc.segment(c.segs)) {
			return false
		}
		c.segs++
	}
	return true
}

// segmentSamples is SegmentAudio in samples at 16 kHz.
const segmentSamples = int(SegmentAudio / time.Second * 16000)

// transcribe answers the final commit: the deltas, then
// transcription.done, with the script's faults.
func (c *rtConn) transcribe() bool {
	if c.sc.Hang {
		<-c.ctx.Done()
		return false
	}
	var deltas []string
	if len(c.sc.Segments) > 0 {
		for ; c.segs < len(c.sc.Segments); c.segs++ {
			deltas = append(deltas, c.sc.segment(c.segs)...)
		}
	} else {
		deltas = c.sc.deltas(c.samples())
	}
	if !c.deltas(deltas) {
		return false
	}
	if c.sc.Drop || c.sc.Malformed || c.sc.ErrorMessage != "" && c.sc.ErrorAfterAppends == 0 {
		return false
	}
	text := pad(c.raw.String(), c.sc.Oversize)
	return c.send(map[string]any{"type": "transcription.done", "text": text,
		"usage": map[string]any{"type": "duration", "seconds": c.samples() / 16000}}) == nil
}

// deltas sends transcription.delta events, stopping where the script
// drops the connection, breaks the JSON or sends an error.
func (c *rtConn) deltas(deltas []string) bool {
	for _, d := range deltas {
		switch {
		case c.sc.Drop && c.sent == c.sc.DropAfterDeltas:
			return false
		case c.sc.ErrorMessage != "" && c.sc.ErrorAfterAppends == 0 && c.sent == c.sc.ErrorAfterDeltas:
			c.sendError(c.sc.ErrorCode, c.sc.ErrorMessage)
			return true
		case c.sc.Malformed:
			c.ws.Write(c.ctx, websocket.MessageText, []byte(`{"type":"transcription.delta","delta":`))
			return true
		}
		if c.send(map[string]any{"type": "transcription.delta", "delta": d}) != nil {
			return false
		}
		c.raw.WriteString(d)
		c.sent++
	}
	return true
}

// drain reads until the client closes the socket.
func (c *rtConn) drain() {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	for {
		if _, _, err := c.ws.Read(ctx); err != nil {
			return
		}
	}
}

func (c *rtConn) send(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.ws.Write(c.ctx, websocket.MessageText, data)
}

// sendError sends vLLM's error event.
func (c *rtConn) sendError(code, message string) error {
	if code == "" {
		code = "processing_error"
	}
	return c.send(map[string]any{"type": "error", "error": message, "code": code})
}

func (c *rtConn) record(fn func(*Session)) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	fn(c.rec)
}

func (c *rtConn) samples() int {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.rec.Samples
}

func (c *rtConn) violation(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.record(func(r *Session) { r.Violations = append(r.Violations, msg) })
}
