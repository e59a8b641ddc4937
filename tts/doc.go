// Package tts turns the agent's text into speech. It owns the Synthesizer
// interface that every backend implements (Qwen3-TTS over HTTP, mlx-audio,
// the local flite in sub-package flite), the Stream of PCM a synthesis
// yields, and helpers shared by backends and callers: an in-memory Stream,
// ReadAll, and a Cache for texts spoken again and again, such as
// greetings.
//
// Backends are sub-packages; this package imports none of them.
package tts
