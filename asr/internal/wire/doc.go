// Package wire holds what the asr backends share on the wire: cleaning
// Qwen3-ASR's "language X<asr_text>" prefixes, building WAV files, deriving
// endpoint URLs from a configured base, reading servers' error bodies, and
// mapping language codes to names.
package wire
