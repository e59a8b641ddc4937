package web

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/voiced/voiced/store"
)

// Limits of GET /api/calls.
const (
	callsDefaultLimit = 50
	callsMaxLimit     = 500
	// callsMaxScan bounds how many of the newest conversations a channel
	// filter looks through: the store lists conversations of every
	// channel, so the filter runs here.
	callsMaxScan = 10000
)

// callChannels are the values of a conversation's channel.
var callChannels = map[string]bool{"chat": true, "sip": true, "web": true}

// callJSON is one conversation in the calls API.
type callJSON struct {
	ID              string     `json:"id"`
	Object          string     `json:"object"`
	Channel         string     `json:"channel"`
	Agent           string     `json:"agent"`
	StartedAt       time.Time  `json:"started_at"`
	EndedAt         *time.Time `json:"ended_at"`
	DurationSeconds float64    `json:"duration_seconds"`
	Turns           int        `json:"turns"`
	RecordingURL    *string    `json:"recording_url"`
}

// callDetailJSON is one conversation with its turns; its turns field
// holds the turns themselves where the list has their count.
type callDetailJSON struct {
	callJSON
	Turns []turnJSON `json:"turns"`
}

// turnJSON is one turn; Latency holds named durations in milliseconds.
type turnJSON struct {
	Seq     int                `json:"seq"`
	Role    string             `json:"role"`
	Text    string             `json:"text"`
	At      time.Time          `json:"at"`
	Mode    string             `json:"mode"`
	Sources []string           `json:"sources"`
	Latency map[string]float64 `json:"latency"`
}

// handleCalls serves GET /api/calls: the tenant's conversations of every
// channel, newest first, optionally of one channel (?channel=) and at most
// ?limit= of them.
func (s *Server) handleCalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := callsDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > callsMaxLimit {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_limit",
				fmt.Sprintf("limit must be a number from 1 to %d", callsMaxLimit))
			return
		}
		limit = n
	}
	channel := q.Get("channel")
	if channel != "" && !callChannels[channel] {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_channel",
			fmt.Sprintf("channel %q is not chat, sip or web", channel))
		return
	}

	convs, err := s.listCalls(r, tenantOf(r).ID, channel, limit)
	if err != nil {
		s.cfg.Logger.Error("list calls", "tenant", tenantOf(r).ID, "err", err)
		writeError(w, http.StatusInternalServerError, "server_error", "internal_error",
			"could not list the calls")
		return
	}
	list := struct {
		Object string     `json:"object"`
		Data   []callJSON `json:"data"`
	}{Object: "list", Data: make([]callJSON, 0, len(convs))}
	for _, c := range convs {
		list.Data = append(list.Data, s.callOf(c))
	}
	writeJSON(w, http.StatusOK, list)
}

// listCalls returns up to limit of the tenant's newest conversations of
// channel (any when empty). With a channel it asks the store for more and
// more of them, up to callsMaxScan, until enough match.
func (s *Server) listCalls(r *http.Request, tenant, channel string,
	limit int) ([]store.Conversation, error) {
	if channel == "" {
		return s.cfg.Store.Conversations(r.Context(), tenant, limit)
	}
	for fetch := 4 * limit; ; fetch *= 4 {
		fetch = min(fetch, callsMaxScan)
		all, err := s.cfg.Store.Conversations(r.Context(), tenant, fetch)
		if err != nil {
			return nil, err
		}
		var out []store.Conversation
		for _, c := range all {
			if c.Channel == channel && len(out) < limit {
				out = append(out, c)
			}
		}
		if len(out) == limit || len(all) < fetch || fetch == callsMaxScan {
			return out, nil
		}
	}
}

// callOf renders a conversation for the API.
func (s *Server) callOf(c store.Conversation) callJSON {
	j := callJSON{
		ID: c.ID, Object: "call", Channel: c.Channel, Agent: c.Agent,
		StartedAt: c.StartedAt.UTC(), Turns: c.Turns,
	}
	end := s.cfg.Now()
	if !c.EndedAt.IsZero() {
		end = c.EndedAt
		ended := c.EndedAt.UTC()
		j.EndedAt = &ended
	}
	j.DurationSeconds = math.Round(max(end.Sub(c.StartedAt).Seconds(), 0)*1000) / 1000
	if c.Recording != "" {
		u := "/api/calls/" + url.PathEscape(c.ID) + "/recording"
		j.RecordingURL = &u
	}
	return j
}

// handleCall serves GET /api/calls/{id}: one conversation with its turns.
func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	c, turns, ok := s.conversation(w, r)
	if !ok {
		return
	}
	d := callDetailJSON{callJSON: s.callOf(c), Turns: make([]turnJSON, 0, len(turns))}
	for _, t := range turns {
		sources := t.Sources
		if sources == nil {
			sources = []string{}
		}
		latency := t.Latency
		if latency == nil {
			latency = map[string]float64{}
		}
		d.Turns = append(d.Turns, turnJSON{
			Seq: t.Seq, Role: t.Role, Text: t.Text, At: t.At.UTC(), Mode: t.Mode,
			Sources: sources, Latency: latency,
		})
	}
	writeJSON(w, http.StatusOK, d)
}

// conversation loads the tenant's conversation named in the path, or
// answers 404 (another tenant's conversation is as unknown as a missing
// one) or 500 and reports false.
func (s *Server) conversation(w http.ResponseWriter,
	r *http.Request) (store.Conversation, []store.Turn, bool) {
	id, tenant := r.PathValue("id"), tenantOf(r).ID
	c, turns, err := s.cfg.Store.Conversation(r.Context(), tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "call_not_found",
			fmt.Sprintf("no call with id %q", id))
		return c, nil, false
	}
	if err != nil {
		s.cfg.Logger.Error("load call", "tenant", tenant, "call_id", id, "err", err)
		writeError(w, http.StatusInternalServerError, "server_error", "internal_error",
			"could not load the call")
		return c, nil, false
	}
	return c, turns, true
}

// handleRecording serves GET /api/calls/{id}/recording: the call's WAV
// file, with Range requests for seeking in a player.
func (s *Server) handleRecording(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.conversation(w, r)
	if !ok {
		return
	}
	f, err := s.openRecording(c)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.cfg.Logger.Warn("recording not served", "tenant", c.TenantID, "call_id", c.ID,
				"err", err)
		}
		writeError(w, http.StatusNotFound, "invalid_request_error", "recording_not_found",
			fmt.Sprintf("call %q has no recording", c.ID))
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("recording %q is not a regular file", c.Recording)
	}
	if err != nil {
		s.cfg.Logger.Warn("recording not served", "tenant", c.TenantID, "call_id", c.ID,
			"err", err)
		writeError(w, http.StatusNotFound, "invalid_request_error", "recording_not_found",
			fmt.Sprintf("call %q has no recording", c.ID))
		return
	}

	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", mime.FormatMediaType("inline",
		map[string]string{"filename": c.ID + ".wav"}))
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// openRecording opens c's recording inside the data directory. A path
// that is absolute or climbs out of the directory, also through a
// symbolic link, is refused: a recording path comes from the database,
// and the database must not be a way to read the server's files.
func (s *Server) openRecording(c store.Conversation) (*os.File, error) {
	if c.Recording == "" || s.cfg.DataDir == "" {
		return nil, fs.ErrNotExist
	}
	rel := filepath.Clean(filepath.FromSlash(c.Recording))
	if !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("recording path %q leaves the data directory", c.Recording)
	}
	root, err := os.OpenRoot(s.cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open data directory: %w", err)
	}
	defer root.Close()
	return root.Open(rel)
}
