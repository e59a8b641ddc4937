package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// A recording is a stereo 16-bit PCM WAVE file at PipelineRate with an
// 80-byte header: RIFF, a 16-byte fmt chunk, a LIST/INFO chunk naming the
// software (ISFT), which marks the file as ours for RepairWAV, and the data
// chunk header. Players skip the LIST chunk.
const (
	recChannels   = 2
	recBlock      = 2 * recChannels // bytes per stereo sample frame
	recHeaderSize = 80
	recSoftware   = "voiced recorder\x00"
	// recBeforeData is what the RIFF size counts besides the samples.
	recBeforeData = recHeaderSize - 8
	// recMaxData keeps the RIFF size within 32 bits, in whole frames.
	recMaxData = (0xFFFFFFFF - recBeforeData) &^ (recBlock - 1)
	// recSyncBytes is how much audio is written between two header
	// updates: one second.
	recSyncBytes = PipelineRate * recBlock
)

// putRecordingHeader fills b with the header of a recording holding data
// bytes of samples.
func putRecordingHeader(b *[recHeaderSize]byte, data uint32) {
	le := binary.LittleEndian
	putWAVHeader(b[:], PipelineRate, recChannels, recBeforeData, data)
	copy(b[36:], "LIST")
	le.PutUint32(b[40:], 4+8+uint32(len(recSoftware)))
	copy(b[44:], "INFOISFT")
	le.PutUint32(b[52:], uint32(len(recSoftware)))
	copy(b[56:], recSoftware)
	copy(b[72:], "data")
	le.PutUint32(b[76:], data)
}

// Recorder writes one call as a stereo WAV file at PipelineRate: the
// caller on the left channel, the agent on the right.
//
// The file is usable at every moment. Each frame reaches the kernel with
// one write, so a crash of the process loses nothing already written, and
// the header's sizes are brought up to date once per second of audio and
// at Close, so a file left behind is playable up to its last update and
// RepairWAV makes all of it playable.
type Recorder struct {
	// mu guards the fields below: WriteFrame runs on the media clock's
	// goroutine while Close may come from the call's teardown.
	mu     sync.Mutex
	f      *os.File
	hdr    [recHeaderSize]byte
	buf    []byte // interleaved bytes of one frame, reused
	data   int64  // bytes of samples written to the file
	synced int64  // data size the header on disk states
	err    error  // first write failure; the recorder stops writing after it
	closed bool
}

// CreateRecorder creates the recording at path, with any missing parent
// directories, and writes its header. It never replaces an existing file.
func CreateRecorder(path string) (*Recorder, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create recording folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create recording: %w", err)
	}

	r := &Recorder{f: f, buf: make([]byte, SamplesPerFrame(PipelineRate)*recBlock)}
	putRecordingHeader(&r.hdr, 0)
	if _, err := f.Write(r.hdr[:]); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("write recording header %s: %w", path, err)
	}
	return r, nil
}

// WriteFrame appends one frame: left is the caller, right the agent. A nil
// side is silence; when both are nil, one FrameDuration of silence keeps
// the recording on the call's timeline. Sides that are both set must have
// the same length. It does not allocate.
func (r *Recorder) WriteFrame(left, right []int16) error {
	n, err := frameLen(left, right)
	if err != nil {
		return err
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return ErrRecorderClosed
	case r.err != nil:
		return r.err
	case int64(n)*recBlock > recMaxData-r.data:
		return ErrRecordingFull
	}

	w, err := r.f.Write(r.interleave(left, right, n))
	r.data += int64(w)
	if err != nil {
		r.err = fmt.Errorf("write recording: %w", err)
		return r.err
	}
	if r.data-r.synced >= recSyncBytes {
		return r.syncHeader()
	}
	return nil
}

// frameLen returns how many stereo samples a frame of these sides holds.
func frameLen(left, right []int16) (int, error) {
	switch {
	case left == nil && right == nil:
		return SamplesPerFrame(PipelineRate), nil
	case left == nil:
		return len(right), nil
	case right == nil:
		return len(left), nil
	case len(left) != len(right):
		return 0, fmt.Errorf("write recording: left %d samples, right %d: %w",
			len(left), len(right), ErrFrameMismatch)
	}
	return len(left), nil
}

// interleave encodes n stereo samples into r.buf, growing it only for a
// frame larger than any before.
func (r *Recorder) interleave(left, right []int16, n int) []byte {
	if cap(r.buf) < n*recBlock {
		r.buf = make([]byte, n*recBlock)
	}
	b := r.buf[:n*recBlock]
	for i := range n {
		var l, rt int16
		if left != nil {
			l = left[i]
		}
		if right != nil {
			rt = right[i]
		}
		binary.LittleEndian.PutUint16(b[recBlock*i:], uint16(l))
		binary.LittleEndian.PutUint16(b[recBlock*i+2:], uint16(rt))
	}
	return b
}

// syncHeader rewrites the header in place with the whole frames written
// so far. The caller holds r.mu.
func (r *Recorder) syncHeader() error {
	whole := r.data &^ (recBlock - 1)
	putRecordingHeader(&r.hdr, uint32(whole))
	if _, err := r.f.WriteAt(r.hdr[:], 0); err != nil {
		r.err = fmt.Errorf("update recording header: %w", err)
		return r.err
	}
	r.synced = r.data
	return nil
}

// Close brings the header up to date, flushes the file to stable storage
// and closes it. It also reports a write failure that ended recording
// early, so that the one place finishing the call learns the recording is
// incomplete. It is idempotent.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true

	failed := r.err
	r.err = nil
	hdrErr := r.syncHeader()
	var syncErr error
	if err := r.f.Sync(); err != nil {
		syncErr = fmt.Errorf("sync recording: %w", err)
	}
	var closeErr error
	if err := r.f.Close(); err != nil {
		closeErr = fmt.Errorf("close recording: %w", err)
	}
	return errors.Join(failed, hdrErr, syncErr, closeErr)
}
