// Package openai is an asr backend for servers with an OpenAI-compatible
// POST /v1/audio/transcriptions: vLLM serving Qwen3-ASR (the path its
// maintainers recommend, protocols.md 1a), mlx-audio on a Mac (1c), and
// whisper servers.
//
// A REST server cannot take audio before the utterance ends, so a session
// buffers it and sends one WAV at Finish, with the reply as one JSON
// object, newline-delimited JSON, or server-sent events whose deltas reach
// OnPartial. Qwen3-ASR's "language X<asr_text>" prefix is removed, also
// when a stream splits it across deltas.
package openai
