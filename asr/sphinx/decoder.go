package sphinx

// This binds the pocketsphinx 5prealpha C API directly (Debian's
// libpocketsphinx-dev), like media's Opus codec binds libopus: no build
// tag and no wrapper module, and Write hands the caller's slice straight to
// ps_process_raw.
//
// The 5prealpha API cannot share an acoustic model between decoders:
// ps_init loads the model, dictionary and language model into each
// decoder. The Recognizer therefore creates a small pool of decoders once
// and reuses them, one utterance at a time each.

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdlib.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/ngram_model.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/cmn.h>

// The live cepstral mean of the feature front end, which pocketsphinx
// carries from one utterance to the next.
static int voiced_cmn_len(ps_decoder_t *ps) {
	return ps_get_feat(ps)->cmn_struct->veclen;
}
static void voiced_cmn_get(ps_decoder_t *ps, mfcc_t *vec) {
	cmn_live_get(ps_get_feat(ps)->cmn_struct, vec);
}
static void voiced_cmn_set(ps_decoder_t *ps, mfcc_t *vec) {
	cmn_live_set(ps_get_feat(ps)->cmn_struct, vec);
}

// cmd_ln_init is variadic, which Go cannot call.
static ps_decoder_t *voiced_ps_init(const char *hmm, const char *dict,
		const char *lm) {
	cmd_ln_t *cfg = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm,
		"-dict", dict, "-lm", lm, NULL);
	if (cfg == NULL)
		return NULL;
	ps_decoder_t *ps = ps_init(cfg);
	cmd_ln_free_r(cfg);
	return ps;
}

// voiced_ps_set_mix adds a search that interpolates the language model of
// the default search with the one in path, giving the latter weight w.
static int voiced_ps_set_mix(ps_decoder_t *ps, const char *name,
		const char *path, float w) {
	ngram_model_t *wrapper = ps_get_lm(ps, "_default");
	if (wrapper == NULL)
		return -1;
	// ngram_search wraps every model in a one-model set named "default".
	ngram_model_t *generic = ngram_model_set_lookup(wrapper, "default");
	if (generic == NULL)
		return -1;
	ngram_model_t *domain = ngram_model_read(ps_get_config(ps), path,
		NGRAM_AUTO, ps_get_logmath(ps));
	if (domain == NULL)
		return -2;
	ngram_model_t *models[2] = {generic, domain};
	char *names[2] = {"generic", "domain"};
	float32 weights[2] = {1 - w, w};
	ngram_model_t *mix = ngram_model_set_init(ps_get_config(ps), models,
		names, weights, 2);
	ngram_model_free(domain);
	if (mix == NULL)
		return -3;
	int rv = ps_set_lm(ps, name, mix);
	ngram_model_free(mix);
	return rv;
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// Names of the searches a decoder holds. defaultSearch is pocketsphinx's
// name for the one built from -lm.
const (
	defaultSearch = "_default"
	mixSearch     = "voiced_mix"
)

// quietOnce turns off sphinxbase's logging, which is global to the process
// and otherwise writes the whole configuration and every utterance's
// statistics to stderr.
var quietOnce sync.Once

func quiet() {
	quietOnce.Do(func() { C.err_set_logfp(nil) })
}

// cepstralMean is the live cepstral mean normalization state that the
// decoders of a pool share. pocketsphinx adapts the mean during each
// utterance and carries it to the next; left alone, a silent or noisy
// session (a false start of the VAD) drags it far from speech and garbles
// the first words of the next utterance, and starting every utterance from
// the model's -cmninit loses the adaptation to the line (word error rate
// 0.175 instead of 0.124 on the test questions). So each utterance starts
// from the mean of the last one that produced words, whichever decoder
// decoded it.
type cepstralMean struct {
	mu   sync.Mutex // guards mean
	mean []C.mfcc_t
}

// restore starts d's next utterance from the shared mean.
func (c *cepstralMean) restore(d *decoder) {
	c.mu.Lock()
	C.voiced_cmn_set(d.ps, &c.mean[0])
	c.mu.Unlock()
}

// keep makes the mean d's utterance ended with the shared one.
func (c *cepstralMean) keep(d *decoder) {
	c.mu.Lock()
	C.voiced_cmn_get(d.ps, &c.mean[0])
	c.mu.Unlock()
}

// decoder is one pocketsphinx decoder. It is used by one session at a
// time; the pool hands it over.
type decoder struct {
	ps  *C.ps_decoder_t
	cmn *cepstralMean
	// inUtt is true between startUtt and endUtt.
	inUtt bool
}

// newDecoder loads the acoustic model, dictionary and language model.
// The first decoder of a pool sets the shared mean to the model's initial
// one.
func newDecoder(hmm, dict, lm string, cmn *cepstralMean) (*decoder, error) {
	quiet()
	chmm, cdict, clm := C.CString(hmm), C.CString(dict), C.CString(lm)
	defer C.free(unsafe.Pointer(chmm))
	defer C.free(unsafe.Pointer(cdict))
	defer C.free(unsafe.Pointer(clm))

	ps := C.voiced_ps_init(chmm, cdict, clm)
	if ps == nil {
		return nil, ErrLoad
	}
	d := &decoder{ps: ps, cmn: cmn}
	cmn.mu.Lock()
	if cmn.mean == nil {
		cmn.mean = make([]C.mfcc_t, C.voiced_cmn_len(ps))
		C.voiced_cmn_get(ps, &cmn.mean[0])
	}
	cmn.mu.Unlock()
	return d, nil
}

// hasWord reports whether the dictionary knows word.
func (d *decoder) hasWord(word string) bool {
	cw := C.CString(word)
	defer C.free(unsafe.Pointer(cw))
	phones := C.ps_lookup_word(d.ps, cw)
	if phones == nil {
		return false
	}
	C.free(unsafe.Pointer(phones))
	return true
}

// addWords adds words the dictionary lacks. The searches are rebuilt
// once, after the last word, since each rebuild walks the whole dictionary.
func (d *decoder) addWords(words []newWord) error {
	var missing []newWord
	for _, w := range words {
		if !d.hasWord(w.word) {
			missing = append(missing, w)
		}
	}
	for i, w := range missing {
		cw, cp := C.CString(w.word), C.CString(w.phones)
		update := C.int(0)
		if i == len(missing)-1 {
			update = 1
		}
		rv := C.ps_add_word(d.ps, cw, cp, update)
		C.free(unsafe.Pointer(cw))
		C.free(unsafe.Pointer(cp))
		if rv < 0 {
			return fmt.Errorf("add word %q: %w", w.word, ErrLoad)
		}
	}
	return nil
}

// setMix adds the search that mixes the generic language model with the
// ARPA model at path.
func (d *decoder) setMix(path string, weight float64) error {
	cname, cpath := C.CString(mixSearch), C.CString(path)
	defer C.free(unsafe.Pointer(cname))
	defer C.free(unsafe.Pointer(cpath))
	if rv := C.voiced_ps_set_mix(d.ps, cname, cpath, C.float(weight)); rv != 0 {
		return fmt.Errorf("mix language models (code %d): %w", int(rv), ErrLoad)
	}
	return nil
}

// useSearch selects a search added before; pocketsphinx dereferences a
// missing one, so callers pass only names they added.
func (d *decoder) useSearch(name string) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if C.ps_set_search(d.ps, cname) != 0 {
		return fmt.Errorf("select search %s: %w", name, ErrDecode)
	}
	return nil
}

// dropSearch frees a search that is not selected. The language model it
// shares with another search stays loaded: both hold a reference.
func (d *decoder) dropSearch(name string) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if C.ps_unset_search(d.ps, cname) != 0 {
		return fmt.Errorf("drop search %s: %w", name, ErrLoad)
	}
	return nil
}

// startUtt begins an utterance.
func (d *decoder) startUtt() error {
	d.cmn.restore(d)
	if C.ps_start_utt(d.ps) < 0 {
		return fmt.Errorf("start utterance: %w", ErrDecode)
	}
	d.inUtt = true
	return nil
}

// process decodes pcm, 16 kHz mono. The slice goes to C as it is: it holds
// no Go pointers, and pocketsphinx copies what it keeps.
func (d *decoder) process(pcm []int16) error {
	if len(pcm) == 0 {
		return nil
	}
	p := (*C.int16)(unsafe.Pointer(&pcm[0]))
	if C.ps_process_raw(d.ps, p, C.size_t(len(pcm)), 0, 0) < 0 {
		return fmt.Errorf("process audio: %w", ErrDecode)
	}
	return nil
}

// endUtt ends the utterance, which finishes the search.
func (d *decoder) endUtt() error {
	if !d.inUtt {
		return nil
	}
	d.inUtt = false
	if C.ps_end_utt(d.ps) < 0 {
		return fmt.Errorf("end utterance: %w", ErrDecode)
	}
	return nil
}

// keepMean shares the cepstral mean this utterance ended with; Finish
// calls it when the utterance produced words.
func (d *decoder) keepMean() {
	d.cmn.keep(d)
}

// hyp is the best hypothesis so far, or the final one after endUtt.
func (d *decoder) hyp() string {
	h := C.ps_get_hyp(d.ps, nil)
	if h == nil {
		return ""
	}
	return C.GoString(h)
}

// free releases the decoder; it must not be used afterwards.
func (d *decoder) free() {
	if d.ps != nil {
		C.ps_free(d.ps)
		d.ps = nil
	}
}
