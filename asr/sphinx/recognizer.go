package sphinx

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/voiced/voiced/asr"
)

// Paths of Debian's pocketsphinx-en-us package.
const (
	// DefaultModelDir is the US English acoustic model (16 kHz).
	DefaultModelDir = "/usr/share/pocketsphinx/model/en-us/en-us"
	// DefaultDict is the CMU pronouncing dictionary, 134,000 entries.
	DefaultDict = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
	// DefaultLM is the generic US English trigram language model.
	DefaultLM = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"
)

// Backend is the name a Result carries.
const Backend = "sphinx"

// Config configures a Recognizer. The zero value uses Debian's US English
// model with two decoders and no biasing.
type Config struct {
	// ModelDir is the acoustic model folder (the one holding mdef).
	// Empty means DefaultModelDir.
	ModelDir string
	// Dict is the pronunciation dictionary. Empty means DefaultDict.
	Dict string
	// LM is the generic language model, binary or ARPA. Empty means
	// DefaultLM.
	LM string
	// Decoders is how many utterances can be decoded at once. Each decoder
	// holds its own copy of the models and takes about 0.2 s to load: about
	// 90 MB with the defaults, 130 MB and 0.4 s with a Corpus. Zero means 2.
	Decoders int
	// Corpus is text the callers are likely to talk about, such as the
	// tenant's knowledge base. When set, New builds a trigram model from it
	// and decodes with that model interpolated into the generic one.
	Corpus []string
	// CorpusWeight is the corpus model's share of the interpolation,
	// between 0 and 1; zero means DefaultCorpusWeight. pocketsphinx mixes
	// the models' scores after its language weight (-lw 6.5) has scaled
	// them, so the weight acts like its 6.5th root would on probabilities:
	// 0.01 already lets the corpus model win where it is clearly more
	// confident, and 0.1 or more starts to split ordinary words ("good
	// by") outside the corpus.
	CorpusWeight float64
	// PartialInterval is how much audio passes between two looks for a
	// partial transcript. Zero means 300 ms.
	PartialInterval time.Duration
	// Logger receives lifecycle lines; nil discards them.
	Logger *slog.Logger
}

// DefaultCorpusWeight is the corpus model's interpolation weight when
// Config.CorpusWeight is zero, the best measured on questions about the
// demo knowledge base (see TestCorpusBias).
const DefaultCorpusWeight = 0.01

// withDefaults fills the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.ModelDir == "" {
		c.ModelDir = DefaultModelDir
	}
	if c.Dict == "" {
		c.Dict = DefaultDict
	}
	if c.LM == "" {
		c.LM = DefaultLM
	}
	if c.Decoders <= 0 {
		c.Decoders = 2
	}
	if c.CorpusWeight == 0 {
		c.CorpusWeight = DefaultCorpusWeight
	}
	if c.CorpusWeight < 0 || c.CorpusWeight > 1 {
		return c, fmt.Errorf("%w: sphinx corpus weight %v outside [0, 1]", asr.ErrBadConfig, c.CorpusWeight)
	}
	if c.PartialInterval <= 0 {
		c.PartialInterval = 300 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}

	// pocketsphinx exits the process on some missing files, so look first.
	for _, p := range []string{filepath.Join(c.ModelDir, "mdef"), c.Dict, c.LM} {
		if _, err := os.Stat(p); err != nil {
			return c, fmt.Errorf("%w: %w", ErrModelMissing, err)
		}
	}
	return c, nil
}

// Recognizer decodes speech with a pool of pocketsphinx decoders. It is
// safe for concurrent use; a Start beyond Config.Decoders sessions waits
// for one to end.
type Recognizer struct {
	cfg Config
	cmn cepstralMean
	// pool holds the idle decoders; its capacity is Config.Decoders, so
	// returning one never blocks.
	pool chan *decoder
	done chan struct{}

	mu     sync.Mutex // guards closed, and the pool against Close draining it
	closed bool
}

var _ asr.Recognizer = (*Recognizer)(nil)

// New loads Config.Decoders decoders, and the corpus model when
// Config.Corpus is set.
func New(cfg Config) (*Recognizer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Recognizer{
		cfg:  cfg,
		pool: make(chan *decoder, cfg.Decoders),
		done: make(chan struct{}),
	}

	began := time.Now()
	var mix *corpusModel
	if len(cfg.Corpus) > 0 {
		if mix, err = buildCorpusModel(cfg.Corpus, cfg.Dict); err != nil {
			return nil, err
		}
		defer os.Remove(mix.path)
	}
	for range cfg.Decoders {
		d, err := r.load(mix)
		if err != nil {
			r.Close()
			return nil, err
		}
		r.pool <- d
	}

	attrs := []any{"decoders", cfg.Decoders, "took", time.Since(began).Round(time.Millisecond)}
	if mix != nil {
		attrs = append(attrs, "corpus_words", mix.words, "corpus_new_words", len(mix.added))
	}
	cfg.Logger.Info("sphinx recognizer loaded", attrs...)
	return r, nil
}

// load creates one decoder and, given a corpus model, makes it the
// decoder's search.
func (r *Recognizer) load(mix *corpusModel) (*decoder, error) {
	d, err := newDecoder(r.cfg.ModelDir, r.cfg.Dict, r.cfg.LM, &r.cmn)
	if err != nil {
		return nil, fmt.Errorf("load decoder: %w", err)
	}
	if mix == nil {
		return d, nil
	}
	if err := r.useCorpus(d, mix); err != nil {
		d.free()
		return nil, fmt.Errorf("load corpus model: %w", err)
	}
	return d, nil
}

// useCorpus adds the corpus's new words to d's dictionary and decodes with
// the mixed model from then on.
func (r *Recognizer) useCorpus(d *decoder, mix *corpusModel) error {
	if err := d.addWords(mix.added); err != nil {
		return err
	}
	if err := d.setMix(mix.path, r.cfg.CorpusWeight); err != nil {
		return err
	}
	if err := d.useSearch(mixSearch); err != nil {
		return err
	}
	// Nothing selects the generic search again; dropping it frees its
	// lexicon tree and tables, about 17 MB.
	return d.dropSearch(defaultSearch)
}

// Start borrows a decoder, waiting for one while ctx allows, and begins an
// utterance. Options.Language, Prompt and Hotwords are ignored: the model
// is US English, and biasing is per Recognizer, through Config.Corpus,
// since building a search for other words takes a decoder about 0.2 s.
func (r *Recognizer) Start(ctx context.Context, opts asr.Options) (asr.Session, error) {
	d, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.startUtt(); err != nil {
		r.release(d)
		return nil, err
	}
	return &session{
		r:         r,
		d:         d,
		onPartial: opts.OnPartial,
		every:     int(r.cfg.PartialInterval * asr.SampleRate / time.Second),
	}, nil
}

// acquire takes an idle decoder.
func (r *Recognizer) acquire(ctx context.Context) (*decoder, error) {
	select {
	case <-r.done:
		return nil, ErrClosed
	default:
	}

	select {
	case d := <-r.pool:
		r.mu.Lock()
		closed := r.closed
		r.mu.Unlock()
		if closed {
			d.free()
			return nil, ErrClosed
		}
		return d, nil
	case <-r.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("sphinx: wait for a decoder: %w", context.Cause(ctx))
	}
}

// release returns a decoder to the pool, or frees it once the Recognizer
// is closed.
func (r *Recognizer) release(d *decoder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		d.free()
		return
	}
	r.pool <- d
}

// Close frees the idle decoders at once and the busy ones as their
// sessions end. Start fails afterwards. Close is idempotent.
func (r *Recognizer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	close(r.done)
	for {
		select {
		case d := <-r.pool:
			d.free()
		default:
			return nil
		}
	}
}
