package tts

import "context"

// TextStreamer is implemented by backends that can start speaking before
// they have the whole text: the caller writes the answer in pieces as a
// language model produces it, and audio comes back sentence by sentence.
// Callers that hold the whole text use Synthesize instead.
type TextStreamer interface {
	// StartTextStream opens a stream for one utterance with req's voice
	// and language. req.Text, when not blank, is written first; empty
	// text is not an error here. ctx bounds the whole stream, reads and
	// writes included; cancelling it ends the stream.
	StartTextStream(ctx context.Context, req Request) (TextStream, error)
}

// TextStream is a Stream whose text is still being written. WriteText
// and CloseText may be called while another goroutine blocks in Read,
// but not concurrently with each other. Read returns io.EOF only after
// CloseText, once the audio of all text written has been read.
type TextStream interface {
	Stream
	// WriteText appends text to the utterance, spaces included, so that
	// pieces split inside a sentence join up again; the backend decides
	// where sentences end. Empty text is ignored.
	WriteText(text string) error
	// CloseText says that no more text follows, so the backend speaks
	// what it still holds. It is safe to call more than once; WriteText
	// after it returns ErrTextClosed.
	CloseText() error
}
