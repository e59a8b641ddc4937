package ttstest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// wavSizeUnknown is the data size of a WAV header written before the
// audio is known.
const wavSizeUnknown = 0xFFFFFFFF

// speak answers a request with audio as script says.
func (s *Server) speak(w http.ResponseWriter, r *http.Request, req Request, script Script) {
	pcm := script.PCM
	if pcm == nil {
		pcm = SpeechFor(req.Input)
	}
	format := script.Format
	if format == Auto {
		format = autoFormat(req)
	}
	if format == WAVFile {
		data := wavFile(script.rate(), pcm, uint32(2*len(pcm)))
		w.Header().Set("Content-Type", nonEmpty(script.ContentType, "audio/wav"))
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		if sleep(r, script.FirstByteDelay) {
			_, _ = w.Write(data)
		}
		return
	}

	chunks := split(pcmBytes(pcm), script.chunkBytes())
	cw := &chunkWriter{w: w, r: r, script: script}
	switch format {
	case SSE:
		cw.start("text/event-stream")
		cw.sse(chunks)
	case WAV:
		cw.start("audio/wav")
		cw.raw(chunks, wavHeader(script.rate(), wavSizeUnknown))
	case WAVChunks:
		// A file holds whole samples, whatever ChunkBytes says.
		chunks = split(pcmBytes(pcm), max(script.chunkBytes()&^1, 2))
		cw.start("audio/wav")
		for i, c := range chunks {
			chunks[i] = append(wavHeader(script.rate(), uint32(len(c))), c...)
		}
		cw.raw(chunks, nil)
	default:
		cw.start("audio/pcm")
		cw.raw(chunks, nil)
	}
}

// autoFormat is what a current vLLM-Omni sends for req (protocols.md 2a).
func autoFormat(req Request) Format {
	switch {
	case !req.Stream:
		return WAVFile
	case req.StreamFormat == "audio":
		return PCM
	}
	return SSE
}

// chunkWriter sends the chunks of a streamed reply, with the script's
// delays and faults.
type chunkWriter struct {
	w      http.ResponseWriter
	r      *http.Request
	script Script
	sent   int // chunks sent
}

// start sends the headers at once, as a streaming server does.
func (c *chunkWriter) start(contentType string) {
	c.w.Header().Set("Content-Type", nonEmpty(c.script.ContentType, contentType))
	c.w.WriteHeader(http.StatusOK)
	http.NewResponseController(c.w).Flush()
}

// next waits before a chunk and applies DisconnectAfter; it returns false
// when the client went away.
func (c *chunkWriter) next() bool {
	if c.script.DisconnectAfter != 0 && c.sent == max(c.script.DisconnectAfter, 0) {
		// The connection closes without the last chunk of the chunked
		// encoding: the client sees a reply cut short.
		panic(http.ErrAbortHandler)
	}
	delay := c.script.ChunkDelay
	if c.sent == 0 {
		delay = c.script.FirstByteDelay
	}
	return sleep(c.r, delay)
}

// write sends b and flushes it.
func (c *chunkWriter) write(b []byte) bool {
	if _, err := c.w.Write(b); err != nil {
		return false
	}
	c.sent++
	return http.NewResponseController(c.w).Flush() == nil
}

// raw sends head, if any, with the first chunk, then the other chunks.
func (c *chunkWriter) raw(chunks [][]byte, head []byte) {
	if len(chunks) == 0 {
		chunks = [][]byte{nil}
	}
	for i, chunk := range chunks {
		if i == 0 {
			chunk = append(head, chunk...)
		}
		if !c.next() || !c.write(chunk) {
			return
		}
	}
	c.next() // a disconnect after the last chunk
}

// sse sends each chunk as a speech.audio.delta event, then the script's
// raw events, then speech.audio.done.
func (c *chunkWriter) sse(chunks [][]byte) {
	eol := "\n"
	if c.script.Noise {
		eol = "\r\n"
	}
	for i, chunk := range chunks {
		if c.script.ErrorAfter != 0 && i == max(c.script.ErrorAfter, 0) {
			c.event(eol, errorEvent(c.script))
			return
		}
		if !c.next() {
			return
		}
		if c.script.Noise {
			_, _ = fmt.Fprintf(c.w, ": keep-alive%sretry: 1000%sevent: ping%sdata: "+
				`{"type":"speech.audio.progress","done":%d}`+"%s%s", eol, eol, eol, i, eol, eol)
		}
		if !c.event(eol, deltaEvent(chunk)) {
			return
		}
	}
	if c.script.ErrorAfter != 0 && c.script.ErrorAfter >= len(chunks) {
		c.event(eol, errorEvent(c.script))
		return
	}
	for _, raw := range c.script.RawEvents {
		if !c.event(eol, raw) {
			return
		}
	}
	if !c.next() || c.script.OmitDone {
		return
	}
	c.event(eol, `{"type":"speech.audio.done","usage":{"input_tokens":3,"output_tokens":40}}`)
}

// event sends one SSE event of the given data.
func (c *chunkWriter) event(eol, data string) bool {
	return c.write([]byte("data: " + data + eol + eol))
}

func deltaEvent(pcm []byte) string {
	b, _ := json.Marshal(map[string]string{
		"type": "speech.audio.delta", "audio": base64.StdEncoding.EncodeToString(pcm),
	})
	return string(b)
}

func errorEvent(s Script) string {
	b, _ := json.Marshal(map[string]any{"type": "speech.audio.error", "error": map[string]any{
		"message": nonEmpty(s.ErrorMessage, "generation failed"), "type": errorType(s),
		"code": 500,
	}})
	return string(b)
}

// pcmBytes encodes samples as s16le.
func pcmBytes(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// split cuts b into chunks of n bytes, the last one shorter.
func split(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n:n])
		b = b[n:]
	}
	if len(b) > 0 {
		out = append(out, b)
	}
	return out
}

// wavHeader returns the 44-byte header of a mono 16-bit PCM WAV file with
// data bytes of samples.
func wavHeader(rate int, data uint32) []byte {
	b := make([]byte, 44)
	le := binary.LittleEndian
	riff := data + 36
	if data == wavSizeUnknown {
		riff = wavSizeUnknown
	}
	copy(b[0:], "RIFF")
	le.PutUint32(b[4:], riff)
	copy(b[8:], "WAVEfmt ")
	le.PutUint32(b[16:], 16)
	le.PutUint16(b[20:], 1)
	le.PutUint16(b[22:], 1)
	le.PutUint32(b[24:], uint32(rate))
	le.PutUint32(b[28:], uint32(2*rate))
	le.PutUint16(b[32:], 2)
	le.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	le.PutUint32(b[40:], data)
	return b
}

func wavFile(rate int, pcm []int16, data uint32) []byte {
	return append(wavHeader(rate, data), pcmBytes(pcm)...)
}
