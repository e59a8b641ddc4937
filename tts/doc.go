// Package tts turns the agent's text into speech. It owns the Synthesizer
// interface that every backend implements, the Stream of PCM a synthesis
// yields, TextStreamer for backends that take text while they speak, and
// helpers shared by backends and callers: an in-memory Stream, ReadAll,
// SanitizeText, and a Cache for texts spoken again and again, such as
// greetings.
//
// Backends are sub-packages, and this package imports none of them:
// tts/qwen (Qwen3-TTS over vLLM-Omni's /v1/audio/speech and its WebSocket,
// and mlx-audio), tts/flite and tts/espeak (local programs for the embedded
// default), and tts/ttstest (protocol-exact fake servers for tests).
package tts
