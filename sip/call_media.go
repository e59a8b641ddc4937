package sip

import (
	"context"
	"fmt"

	"github.com/voiced/voiced/media"
)

// streamSpec is what a call's stream is made of.
type streamSpec struct {
	offer *offer
	key   []byte
}

// newStream creates the call's stream on its socket for the negotiated
// offer; on failure the socket stays the caller's.
func (c *Call) newStream(spec streamSpec) (*media.Stream, error) {
	o := spec.offer
	cfg := media.StreamConfig{
		Conn:            c.conn,
		Remote:          o.remote,
		Codec:           o.codec,
		DTMFPayloadType: o.dtmfPT,
		DTMFClockRate:   o.dtmfRate,
		Clock:           c.srv.cfg.Clock,
		Recorder:        c.rec,
		NoRTPTimeout:    c.srv.cfg.NoRTPTimeout,
		OnDTMF:          c.deliverDTMF,
		Metrics:         c.srv.cfg.Metrics,
	}
	if o.crypto != nil {
		cfg.SRTP = &media.SRTPConfig{Profile: o.crypto.suite, LocalKey: spec.key,
			RemoteKey: o.crypto.key}
	}
	stream, err := media.NewStream(cfg)
	if err != nil {
		return nil, fmt.Errorf("rtp stream: %w", err)
	}
	if o.hold() {
		stream.SetHold(true)
		c.loop.held = true
	}
	c.stream, c.conn, c.codec = stream, nil, o.codec
	c.loop.offer, c.loop.key = o, spec.key
	return stream, nil
}

// startMedia runs the stream and hands the call to the handler.
func (c *Call) startMedia() {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	stream := c.stream
	go func() { done <- stream.Run(ctx) }()
	c.loop.streamDone, c.loop.stopStream = done, stop
	c.serveHandler()
}

// stopMedia stops the stream and waits for it, finishes the recording and
// returns the stream's error.
func (c *Call) stopMedia() error {
	if c.loop.stopStream != nil {
		c.loop.stopStream()
	}
	if c.stream != nil {
		c.stream.Close()
	}
	if c.loop.streamDone != nil {
		c.loop.streamErr = <-c.loop.streamDone
	}
	if c.conn != nil {
		c.conn.Close()
	}
	if c.rec != nil {
		if err := c.rec.Close(); err != nil {
			c.log.Warn("recording not finished", "err", err)
		}
	}
	return c.loop.streamErr
}

// acceptAnswer takes the answer to our offer from the ACK of a delayed
// offer and starts the media.
func (c *Call) acceptAnswer(body []byte) error {
	if len(body) == 0 {
		return fmt.Errorf("%w: ack carries no answer", ErrNotAcceptable)
	}
	o, err := negotiate(body, offerPolicy{codecs: c.srv.cfg.Codecs,
		requireSRTP: c.transport == transportTLS})
	if err != nil {
		return err
	}
	if (o.crypto != nil) != (c.loop.key != nil) {
		return fmt.Errorf("%w: answer changed the profile to %s", ErrNotAcceptable, o.proto)
	}
	if _, err := c.newStream(streamSpec{offer: o, key: c.loop.key}); err != nil {
		return err
	}
	c.log.Debug("delayed offer answered", "codec", o.codec.Name)
	c.startMedia()
	return nil
}
