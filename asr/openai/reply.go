package openai

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/voiced/voiced/asr"
	"github.com/voiced/voiced/asr/internal/wire"
)

// replyReader reads a 2xx transcription reply: one JSON object
// ({"text":...}), newline-delimited JSON objects (mlx-audio), plain text
// (response_format=text), or server-sent events (protocols.md 1a).
type replyReader struct {
	backend string
	max     int64
	partial func(string)
	emitted *bool // set once partial text was delivered

	text wire.Stream
	// final is a whole transcript the server sent (a JSON reply, or a done
	// event); nil when the text is the sum of deltas.
	final *string
	lang  string // a language field of the reply (mlx-audio)
	got   bool   // the reply carried transcript text
}

// chunk is any JSON value a transcription reply carries. Fields that do
// not apply are absent.
type chunk struct {
	Text *string `json:"text"`
	// Language is a string in mlx-audio, but may be a list or null in
	// other servers; only a string is used.
	Language json.RawMessage `json:"language"`
	Error    json.RawMessage `json:"error"`
	Code     json.RawMessage `json:"code"`
	// OpenAI's own stream: {"type":"transcript.text.delta","delta":...}.
	Type  string `json:"type"`
	Delta string `json:"delta"`
	// vLLM's stream: {"object":"transcription.chunk","choices":[...]}.
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		Text string `json:"text"`
	} `json:"choices"`
}

// errTooLarge is the cause when a reply exceeds its size limit.
var errTooLarge = errors.New("reply too large")

// read reads resp's body to the end of the transcript.
func (r *replyReader) read(resp *http.Response) (asr.Result, error) {
	body := &limitReader{r: resp.Body, n: r.max}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var err error
	switch mediaType {
	case "text/event-stream":
		err = r.readSSE(body)
	case "text/plain":
		err = r.readPlain(body)
	default:
		err = r.readJSON(body)
	}
	if err != nil {
		return asr.Result{}, err
	}

	text, lang := r.text.Result()
	if r.final != nil {
		streamLang := lang
		text, lang = wire.Clean(*r.final)
		if lang == "" {
			lang = streamLang
		}
	}
	if lang == "" && r.lang != "None" {
		lang = r.lang
	}
	return asr.Result{Text: text, Language: lang}, nil
}

// readJSON reads one JSON value or a sequence of them (ndjson, pretty
// printed or not); the texts of a sequence are pieces of one transcript.
func (r *replyReader) readJSON(body *limitReader) error {
	dec := json.NewDecoder(body)
	for {
		var c chunk
		err := dec.Decode(&c)
		if err == io.EOF {
			break
		}
		if err != nil {
			return r.readError(body, err)
		}
		if err := r.apply(c); err != nil {
			return err
		}
	}
	if !r.got {
		return r.bad(errors.New("reply has no transcript"))
	}
	return nil
}

// readPlain reads a response_format=text reply.
func (r *replyReader) readPlain(body *limitReader) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return r.readError(body, err)
	}
	text := string(data)
	r.final = &text
	return nil
}

// readSSE reads server-sent events up to data: [DONE]. Comments, event
// names and ids are ignored; the data lines of one event are joined.
func (r *replyReader) readSSE(body *limitReader) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 4096), int(min(r.max, 1<<30)))
	var data []byte
	for sc.Scan() {
		line := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		if len(line) > 0 {
			if field, value, ok := bytes.Cut(line, []byte(":")); ok && string(field) == "data" {
				data = append(data, bytes.TrimPrefix(value, []byte(" "))...)
				data = append(data, '\n')
			}
			continue
		}
		done, err := r.event(data)
		if done || err != nil {
			return err
		}
		data = data[:0]
	}
	if err := sc.Err(); err != nil {
		return r.readError(body, err)
	}
	if done, err := r.event(data); done || err != nil {
		return err
	}
	return &asr.UpstreamError{Backend: r.backend, Err: asr.ErrDisconnected,
		Message: "event stream ended without [DONE]"}
}

// event handles the data of one server-sent event.
func (r *replyReader) event(data []byte) (done bool, err error) {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return false, nil
	case string(data) == "[DONE]":
		return true, nil
	}
	var c chunk
	if err := json.Unmarshal(data, &c); err != nil {
		return false, r.bad(err)
	}
	if err := r.apply(c); err != nil {
		return false, err
	}
	return c.Type == "transcript.text.done", nil
}

// apply takes in one JSON value of a reply. Values it does not know, such
// as a usage chunk with empty choices, change nothing.
func (r *replyReader) apply(c chunk) error {
	if len(c.Error) > 0 && string(c.Error) != "null" {
		status, code, msg := wire.ErrorDetail(c.Error, c.Code)
		return &asr.UpstreamError{Backend: r.backend, Status: status, Code: code, Message: msg}
	}
	var lang string
	if json.Unmarshal(c.Language, &lang) == nil && lang != "" {
		r.lang = lang
	}
	switch {
	case c.Type == "transcript.text.delta":
		r.add(c.Delta)
	case c.Type == "transcript.text.done" && c.Text != nil:
		r.final, r.got = c.Text, true
	case c.Text != nil:
		r.add(*c.Text)
	}
	for _, ch := range c.Choices {
		r.add(ch.Delta.Content + ch.Text)
	}
	return nil
}

// add appends a piece of the transcript and reports the text so far when
// it changed.
func (r *replyReader) add(delta string) {
	r.got = true
	text, changed := r.text.Add(delta)
	if changed && r.partial != nil {
		*r.emitted = true
		r.partial(text)
	}
}

// readError describes a failure while reading the body: the connection's
// failure when there was one, else a reply that breaks the protocol.
func (r *replyReader) readError(body *limitReader, err error) error {
	switch {
	case body.tooLarge:
		return r.bad(fmt.Errorf("%w: over %d bytes", errTooLarge, r.max))
	case body.err != nil && body.err != io.EOF:
		return &asr.UpstreamError{Backend: r.backend, Message: "reply ended early: " + body.err.Error(),
			Err: fmt.Errorf("%w: %w", asr.ErrDisconnected, body.err)}
	}
	return r.bad(err)
}

// bad describes a reply that breaks the protocol.
func (r *replyReader) bad(err error) error {
	return &asr.UpstreamError{Backend: r.backend, Message: wire.Truncate(err.Error()),
		Err: fmt.Errorf("%w: %w", asr.ErrBadResponse, err)}
}

// limitReader reads at most n bytes and remembers how reading ended.
type limitReader struct {
	r        io.Reader
	n        int64
	err      error // the underlying reader's last error
	tooLarge bool  // the body had more than n bytes
}

// Read reads from the body; past n bytes it fails with errTooLarge.
func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		if n, err := l.r.Read(one[:]); n == 0 && err != nil {
			l.err = err
			return 0, err
		}
		l.tooLarge = true
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if err != nil {
		l.err = err
	}
	return n, err
}
