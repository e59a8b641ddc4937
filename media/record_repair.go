package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// RepairWAV makes a recording left behind by a crashed process whole: it
// cuts a trailing partial stereo sample and rewrites the RIFF and data
// sizes to cover every remaining sample. It reports whether it changed the
// file; a second call changes nothing. A file without the Recorder's
// header is refused with ErrNotRecording and not modified. It must not run
// on a recording that is still being written. The repair is not synced to
// stable storage: one lost to a power cut is simply done again at the next
// start.
func RepairWAV(path string) (repaired bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Errorf("repair recording: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("repair recording %s: %w", path, cerr)
		}
	}()

	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("repair recording: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("repair recording %s: %s is not a regular file: %w", path,
			fi.Mode().Type(), ErrNotRecording)
	}
	repaired, err = repairRecording(f, fi.Size())
	if err != nil {
		return repaired, fmt.Errorf("repair recording %s: %w", path, err)
	}
	return repaired, nil
}

// recordingFile is what a repair needs of a file; *os.File has it.
type recordingFile interface {
	io.ReaderAt
	io.WriterAt
	Truncate(size int64) error
}

// repairRecording repairs the recording f of size bytes.
func repairRecording(f recordingFile, size int64) (repaired bool, err error) {
	var hdr [recHeaderSize]byte
	data, err := checkRecording(f, size, &hdr)
	if err != nil {
		return false, err
	}
	whole := data &^ (recBlock - 1)
	if whole != data {
		if err := f.Truncate(recHeaderSize + whole); err != nil {
			return false, fmt.Errorf("cut partial sample: %w", err)
		}
		repaired = true
	}

	le := binary.LittleEndian
	if le.Uint32(hdr[4:]) != uint32(recBeforeData+whole) || le.Uint32(hdr[76:]) != uint32(whole) {
		putRecordingHeader(&hdr, uint32(whole))
		if _, err := f.WriteAt(hdr[:], 0); err != nil {
			return repaired, fmt.Errorf("rewrite header: %w", err)
		}
		repaired = true
	}
	return repaired, nil
}

// checkRecording reads the header of f, size bytes long, into hdr,
// verifies that it is the Recorder's and returns how many bytes follow it.
func checkRecording(f io.ReaderAt, size int64, hdr *[recHeaderSize]byte) (int64, error) {
	if size < recHeaderSize {
		return 0, fmt.Errorf("%d bytes is shorter than the header: %w", size, ErrNotRecording)
	}
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return 0, fmt.Errorf("read header: %w", err)
	}

	var want [recHeaderSize]byte
	putRecordingHeader(&want, 0)
	got := *hdr
	// The sizes are what a repair rewrites; every other byte must match.
	copy(got[4:8], want[4:8])
	copy(got[76:80], want[76:80])
	if got != want {
		return 0, fmt.Errorf("header is not a stereo %d Hz recording by voiced: %w",
			PipelineRate, ErrNotRecording)
	}

	data := size - recHeaderSize
	if data > recMaxData+recBlock-1 {
		return 0, fmt.Errorf("%d bytes of samples exceed what the header can state: %w",
			data, ErrNotRecording)
	}
	return data, nil
}

// RepairRecordings runs RepairWAV on every .wav file under dir, to be
// called at start-up before any call records. Files that are not
// recordings are skipped. It returns how many files it repaired and the
// failures, joined; a missing dir holds nothing to repair.
func RepairRecordings(dir string) (n int, err error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}

	var errs []error
	walkErr := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, fmt.Errorf("repair recordings: %w", err))
			return nil
		}
		if !d.Type().IsRegular() || !strings.EqualFold(filepath.Ext(path), ".wav") {
			return nil
		}
		repaired, err := RepairWAV(path)
		switch {
		case errors.Is(err, ErrNotRecording):
		case err != nil:
			errs = append(errs, err)
		case repaired:
			n++
		}
		return nil
	})
	if walkErr != nil {
		errs = append(errs, walkErr)
	}
	return n, errors.Join(errs...)
}
