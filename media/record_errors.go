package media

import "errors"

// Sentinel errors of the recorder, its repair and the WAV reader.
var (
	// ErrFrameMismatch is returned by Recorder.WriteFrame when the
	// caller's and the agent's sides of a frame differ in length.
	ErrFrameMismatch = errors.New("media: recorder frame sides differ in length")
	// ErrRecorderClosed is returned by Recorder.WriteFrame after Close.
	ErrRecorderClosed = errors.New("media: recorder closed")
	// ErrRecordingFull is returned by Recorder.WriteFrame when the
	// recording reached the 4 GiB a WAV file can describe (about 18 hours
	// at PipelineRate).
	ErrRecordingFull = errors.New("media: recording full")
	// ErrNotRecording is returned by RepairWAV for a file without the
	// Recorder's layout; such a file is left untouched.
	ErrNotRecording = errors.New("media: not a voiced recording")
	// ErrNotWAV is returned by ReadWAV for input that is not a RIFF WAVE
	// file.
	ErrNotWAV = errors.New("media: not a wav file")
	// ErrUnsupportedWAV is returned by ReadWAV for a WAVE file whose
	// samples are not 16-bit integer PCM.
	ErrUnsupportedWAV = errors.New("media: unsupported wav encoding")
	// ErrTruncatedWAV is returned by ReadWAV when the input ends inside a
	// chunk.
	ErrTruncatedWAV = errors.New("media: truncated wav file")
)
