// Package media owns a call's audio below the dialog: PCM frames, the
// codecs spoken over RTP (G.711, G.722, Opus), resampling between 8, 16,
// 24 and 48 kHz, RFC 4733 telephone-events, the RTP session with its
// jitter buffer and paced sender, the playout queue the agent speaks
// into, and the stereo recorder.
//
// Everything inside a call runs at PipelineRate (16 kHz mono PCM16) in
// 20 ms frames; codecs convert at the edge. Work done once per frame
// neither allocates, logs nor blocks: it counts with atomics, and every
// such path has a benchmark with ReportAllocs.
package media
