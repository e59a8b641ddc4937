// Package ttstest provides a fake Qwen3-TTS server for tests, in the
// manner of net/http/httptest.
//
// The server speaks vLLM-Omni's speech protocols as protocols.md section 2
// describes them: POST /v1/audio/speech answered with raw PCM
// (audio/pcm), server-sent events of base64 PCM (speech.audio.delta, then
// speech.audio.done) or WAV, chosen from the request as a current server
// chooses (stream_format "audio" gets raw PCM, a stream without it SSE)
// or forced by the script; and the WebSocket /v1/audio/speech/stream,
// which buffers input.text, speaks at input.done (or at each sentence
// with split_granularity "sentence") with audio.start, binary PCM frames
// and audio.done, and ends each utterance with session.done.
//
// Each request is answered by a Script, taken from a queue or produced by
// a handler function. Scripts cover the protocols' odd corners (samples
// split across chunks, keep-alive comments and unknown events, CRLF line
// ends, one WAV file per chunk as mlx-audio streams them, a WAV
// Content-Type on raw PCM) and their failures (error statuses with
// vLLM's error body, a slow first byte, an error event or a disconnect in
// the middle of the audio, malformed events, an event stream without its
// closing event). Refused connections are made by closing the listener
// with Refuse. Every request is recorded, with its raw JSON.
//
// The audio is deterministic: SpeechFor gives the samples the server
// speaks for a text, 10 ms of them per character, so tests can compare
// what they read sample by sample.
package ttstest
