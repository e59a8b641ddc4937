// Package asrtest holds a fake Qwen3-ASR server for tests of the asr
// backends, like net/http/httptest. It follows protocols.md section 1 to
// the letter, odd parts included: the "language English<asr_text>" prefix
// split across deltas, "language None<asr_text>" for empty audio, an SSE
// usage chunk with empty choices, errors in mid-stream, event types a
// client must ignore. Scripts inject faults: a refused connection, 4xx and
// 5xx answers, a slow first byte, a cut connection, error events,
// malformed JSON, oversized replies, silence. The server records what it
// received (events in order, audio length, form fields, the WAV format),
// so that tests can check what a client sent.
package asrtest
