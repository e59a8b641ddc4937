package sphinx

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// corpusModel is a corpus turned into an ARPA file that decoders load.
type corpusModel struct {
	// path is the ARPA file, removed once every decoder has read it.
	path string
	// words is the number of running words the model was estimated from.
	words int
	// added are the words the dictionary lacks, with pronunciations made
	// from the dictionary words they are compounded of.
	added []newWord
}

// newWord is a word to add to the decoders' dictionary.
type newWord struct {
	word   string
	phones string
}

// buildCorpusModel estimates a trigram model from texts and writes it to a
// temporary file.
func buildCorpusModel(texts []string, dictPath string) (*corpusModel, error) {
	f, err := os.CreateTemp("", "voiced-sphinx-*.arpa")
	if err != nil {
		return nil, fmt.Errorf("sphinx: build corpus model: %w", err)
	}
	m, err := buildLM(f, texts, dictPath)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	m.path = f.Name()
	return m, nil
}

// buildLM writes to w a trigram language model, in ARPA format, of texts
// such as a knowledge base's documents. Words that dictPath (a CMU
// dictionary) lacks are kept when they are a compound of two dictionary
// words ("brightwater"), and otherwise end the sentence they are in. A
// Recognizer given Config.Corpus builds its model this way; BuildLM is for
// inspecting or caching that model.
func buildLM(w io.Writer, texts []string, dictPath string) (*corpusModel, error) {
	lex, err := readLexicon(dictPath)
	if err != nil {
		return nil, err
	}

	m := &corpusModel{}
	seen := map[string]bool{}
	var sents [][]string
	for _, text := range texts {
		for _, s := range sentences(text) {
			var cur []string
			for _, word := range s {
				if _, ok := lex[word]; !ok {
					phones, ok := compound(lex, word)
					if !ok {
						sents = appendSentence(sents, cur)
						cur = nil
						continue
					}
					lex[word] = phones
					if !seen[word] {
						seen[word] = true
						m.added = append(m.added, newWord{word, phones})
					}
				}
				cur = append(cur, word)
				m.words++
			}
			sents = appendSentence(sents, cur)
		}
	}
	if m.words == 0 {
		return nil, ErrEmptyCorpus
	}

	if err := estimate(sents, lmOrder).writeARPA(w); err != nil {
		return nil, fmt.Errorf("sphinx: write corpus model: %w", err)
	}
	return m, nil
}

func appendSentence(sents [][]string, s []string) [][]string {
	if len(s) == 0 {
		return sents
	}
	return append(sents, s)
}

// compound finds the split of word into two dictionary words of at least
// three letters that is the most even, and joins their pronunciations.
func compound(lex map[string]string, word string) (string, bool) {
	best, bestMin := "", 0
	for i := 3; i <= len(word)-3; i++ {
		a, okA := lex[word[:i]]
		b, okB := lex[word[i:]]
		if okA && okB && min(i, len(word)-i) > bestMin {
			best, bestMin = a+" "+b, min(i, len(word)-i)
		}
	}
	return best, best != ""
}

// readLexicon reads the first pronunciation of every word of a CMU
// dictionary ("word PH ON ES", alternatives as "word(2) ...").
func readLexicon(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModelMissing, err)
	}
	defer f.Close()

	lex := make(map[string]string, 140000)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		word, phones, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasSuffix(word, ")") {
			continue
		}
		lex[word] = strings.TrimSpace(phones)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sphinx: read dictionary %s: %w", path, err)
	}
	return lex, nil
}
