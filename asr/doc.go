// Package asr turns a caller's speech into text. The Recognizer interface
// lives here; each backend is a sub-package: asr/qwen (Qwen3-ASR over
// vLLM's realtime WebSocket, with REST fallback), asr/openai (any
// OpenAI-compatible transcription server) and asr/sphinx (the local
// pocketsphinx recognizer of the embedded default). asrtest holds fake
// servers that follow the wire protocols, faults included.
//
// Audio is always mono PCM16 at 16 kHz (media.PipelineRate); the
// transport resamples before it reaches a recognizer.
package asr
