package tts

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
)

// errAborted is what waiters see when a synthesis they waited for ended
// without a result or an error, which only a panic does.
var errAborted = errors.New("tts: cached synthesis aborted")

// CacheConfig configures a Cache.
type CacheConfig struct {
	// Synthesizer produces what the cache does not hold. Required.
	Synthesizer Synthesizer
	// MaxSamples bounds the audio kept, summed over all texts; zero means
	// ten minutes at 16 kHz (about 19 MB). A single output larger than
	// that is returned but not kept.
	MaxSamples int
}

// Cache is a Synthesizer that keeps whole outputs of another one for
// texts spoken again and again, such as greetings and hold messages. It
// evicts the least recently used outputs beyond MaxSamples. Concurrent
// requests for the same text share one synthesis. Failures are not kept.
type Cache struct {
	next Synthesizer
	max  int

	mu      sync.Mutex // guards the fields below
	entries map[Request]*list.Element
	lru     *list.List // of *cacheEntry, most recently used at the front
	total   int        // samples held by entries
	flights map[Request]*flight
}

type cacheEntry struct {
	req  Request
	rate int
	pcm  []int16
}

// flight is one synthesis in progress that others may wait for. entry
// and err are set before done is closed.
type flight struct {
	done  chan struct{}
	entry *cacheEntry
	err   error
}

// NewCache returns a cache in front of cfg.Synthesizer.
func NewCache(cfg CacheConfig) (*Cache, error) {
	if cfg.Synthesizer == nil {
		return nil, errors.New("tts: cache needs a synthesizer")
	}
	if cfg.MaxSamples <= 0 {
		cfg.MaxSamples = 10 * 60 * 16000
	}
	return &Cache{
		next:    cfg.Synthesizer,
		max:     cfg.MaxSamples,
		entries: make(map[Request]*list.Element),
		lru:     list.New(),
		flights: make(map[Request]*flight),
	}, nil
}

// Synthesize returns the kept output for req, or synthesizes it whole
// with the wrapped Synthesizer, keeps it and returns it. A caller whose
// request is already being synthesized waits for that synthesis.
func (c *Cache) Synthesize(ctx context.Context, req Request) (Stream, error) {
	for {
		e, f, lead := c.lookup(req)
		if e != nil {
			return NewPCMStream(e.rate, e.pcm), nil
		}
		if lead {
			e, err := c.fill(ctx, req, f)
			if err != nil {
				return nil, err
			}
			return NewPCMStream(e.rate, e.pcm), nil
		}

		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-f.done:
		}
		if f.err == nil {
			return NewPCMStream(f.entry.rate, f.entry.pcm), nil
		}
		// The synthesis ended because its own caller gave up; that says
		// nothing about this caller, who tries again and may lead.
		if isContextErr(f.err) && ctx.Err() == nil {
			continue
		}
		return nil, f.err
	}
}

// lookup returns the kept entry for req, or the flight producing it and
// whether the caller must lead that flight because it just started.
func (c *Cache) lookup(req Request) (*cacheEntry, *flight, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[req]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cacheEntry), nil, false
	}
	if f, ok := c.flights[req]; ok {
		return nil, f, false
	}
	f := &flight{done: make(chan struct{}), err: errAborted}
	c.flights[req] = f
	return nil, f, true
}

// fill synthesizes req whole, keeps the result and hands it to the
// flight's waiters.
func (c *Cache) fill(ctx context.Context, req Request, f *flight) (*cacheEntry, error) {
	defer c.land(req, f)

	s, err := c.next.Synthesize(ctx, req)
	if err != nil {
		f.err = err
		return nil, err
	}
	pcm, rate, err := ReadAll(ctx, s)
	if cerr := s.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("tts: close stream: %w", cerr)
	}
	if err != nil {
		f.err = err
		return nil, err
	}
	f.entry, f.err = &cacheEntry{req: req, rate: rate, pcm: pcm}, nil
	return f.entry, nil
}

// land ends a flight: it keeps a successful result, evicting the least
// recently used entries beyond the bound, and releases the waiters.
func (c *Cache) land(req Request, f *flight) {
	c.mu.Lock()
	delete(c.flights, req)
	if f.err == nil && len(f.entry.pcm) <= c.max {
		c.entries[req] = c.lru.PushFront(f.entry)
		c.total += len(f.entry.pcm)
		for c.total > c.max {
			old := c.lru.Remove(c.lru.Back()).(*cacheEntry)
			delete(c.entries, old.req)
			c.total -= len(old.pcm)
		}
	}
	c.mu.Unlock()
	close(f.done)
}

// Len reports how many outputs the cache keeps and their total samples.
func (c *Cache) Len() (entries, samples int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.total
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
