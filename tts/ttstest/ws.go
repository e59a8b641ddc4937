package ttstest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// session is one WebSocket connection on SpeechStreamPath.
type session struct {
	s         *Server
	conn      *websocket.Conn
	req       *Request
	script    Script
	split     bool            // split_granularity "sentence": speak each sentence as it ends
	buf       strings.Builder // text not spoken yet
	utterance int             // input.done flushes so far
	sentence  int             // sentences of the current utterance
	frames    int             // binary frames sent, for DisconnectAfter
	spoken    int             // sentences spoken, for ErrorAfter
}

// serveStream runs a WebSocket session (protocols.md 2b): session.config
// first, then input.text pieces, input.done to flush, session.close.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request) {
	req := &Request{Path: r.URL.Path, Header: r.Header.Clone()}
	s.record(req)
	script, ok := s.script(w, r, *req)
	if !ok {
		return
	}
	if !sleep(r, script.FirstByteDelay) {
		return
	}
	// Counted before the upgrade, while the httptest server still waits
	// for this handler, so that Close cannot miss it.
	s.ws.Add(1)
	defer s.ws.Done()
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()

	ss := &session{s: s, conn: conn, req: req, script: script}
	ss.run(s.ctx)
}

// run reads messages until the client closes or the session fails.
func (ss *session) run(ctx context.Context) {
	if !ss.config(ctx) {
		return
	}
	for {
		_, data, err := ss.conn.Read(ctx)
		if err != nil {
			return
		}
		ss.s.mu.Lock()
		ss.req.Messages = append(ss.req.Messages, string(data))
		ss.s.mu.Unlock()
		var msg struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if json.Unmarshal(data, &msg) != nil {
			ss.send(ctx, map[string]any{"type": "error", "message": "Invalid JSON message"})
			continue
		}
		if !ss.handle(ctx, msg.Type, msg.Text) {
			return
		}
	}
}

// config reads and records the session.config message.
func (ss *session) config(ctx context.Context) bool {
	_, data, err := ss.conn.Read(ctx)
	if err != nil {
		return false
	}
	ss.s.mu.Lock()
	ss.req.Body = data
	perr := ss.req.parse(data)
	ss.s.mu.Unlock()
	var typ, split string
	_ = json.Unmarshal(ss.req.Fields["type"], &typ)
	_ = json.Unmarshal(ss.req.Fields["split_granularity"], &split)
	switch {
	case perr != nil || typ != "session.config":
		ss.send(ctx, map[string]any{"type": "error",
			"message": "Expected session.config, got: " + typ})
		return false
	case ss.script.ErrorAfter < 0:
		ss.send(ctx, map[string]any{"type": "error",
			"message": nonEmpty(ss.script.ErrorMessage, "Invalid session config")})
		return false
	}
	ss.split = split == "sentence"
	return true
}

// handle answers one client message; it returns false to end the
// session.
func (ss *session) handle(ctx context.Context, typ, text string) bool {
	switch typ {
	case "input.text":
		ss.s.mu.Lock()
		ss.req.Texts = append(ss.req.Texts, text)
		ss.s.mu.Unlock()
		ss.buf.WriteString(text)
		if ss.split {
			return ss.speakSentences(ctx, false)
		}
	case "input.done":
		if !ss.speakSentences(ctx, true) {
			return false
		}
		ok := ss.send(ctx, map[string]any{"type": "session.done",
			"utterance_index": ss.utterance, "total_sentences": ss.sentence})
		ss.utterance++
		ss.sentence = 0
		return ok
	case "session.close":
		ss.conn.Close(websocket.StatusNormalClosure, "")
		return false
	default:
		ss.send(ctx, map[string]any{"type": "error", "message": "Unknown message type: " + typ})
	}
	return true
}

// speakSentences speaks the complete sentences buffered, and the rest too
// when flush is set.
func (ss *session) speakSentences(ctx context.Context, flush bool) bool {
	for {
		text := ss.buf.String()
		end := strings.IndexAny(text, ".!?")
		if end < 0 || !ss.split {
			if !flush || strings.TrimSpace(text) == "" {
				return true
			}
			end = len(text) - 1
		}
		ss.buf.Reset()
		ss.buf.WriteString(text[end+1:])
		if sentence := strings.TrimSpace(text[:end+1]); sentence != "" {
			if !ss.speak(ctx, sentence) {
				return false
			}
		}
	}
}

// speak sends one sentence: audio.start, binary frames, audio.done.
func (ss *session) speak(ctx context.Context, sentence string) bool {
	if ss.script.ErrorAfter > 0 && ss.spoken == ss.script.ErrorAfter {
		ss.send(ctx, map[string]any{"type": "error",
			"message": nonEmpty(ss.script.ErrorMessage, "generation failed")})
		return false
	}
	ss.spoken++
	pcm := ss.script.PCM
	if pcm == nil {
		pcm = SpeechFor(sentence)
	}
	for i, chunk := range split(pcmBytes(pcm), ss.script.chunkBytes()) {
		if i == 0 && !ss.send(ctx, map[string]any{"type": "audio.start",
			"utterance_index": ss.utterance, "sentence_index": ss.sentence,
			"sentence_text": sentence, "format": "pcm", "sample_rate": ss.script.rate(),
			"channels": 1}) {
			return false
		}
		if ss.script.DisconnectAfter != 0 && ss.frames == max(ss.script.DisconnectAfter, 0) {
			return false // the deferred CloseNow drops the connection
		}
		if !pause(ctx, ss.script.ChunkDelay) ||
			ss.conn.Write(ctx, websocket.MessageBinary, chunk) != nil {
			return false
		}
		ss.frames++
	}
	ok := ss.send(ctx, map[string]any{"type": "audio.done", "utterance_index": ss.utterance,
		"sentence_index": ss.sentence})
	ss.sentence++
	return ok
}

// send writes one JSON message.
func (ss *session) send(ctx context.Context, msg map[string]any) bool {
	data, _ := json.Marshal(msg)
	return ss.conn.Write(ctx, websocket.MessageText, data) == nil
}

func pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
