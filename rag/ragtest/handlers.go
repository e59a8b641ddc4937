package ragtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// inputs decodes TEI's "inputs", a string or a list of strings.
func inputs(raw json.RawMessage) ([]string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, true
	}
	var many []string
	return many, json.Unmarshal(raw, &many) == nil
}

// handleEmbed serves TEI's POST /embed.
func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Inputs json.RawMessage `json:"inputs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.error(w, r, http.StatusUnprocessableEntity, "Validation", "bad json: "+err.Error())
		return
	}
	texts, ok := inputs(req.Inputs)
	if !ok {
		s.error(w, r, http.StatusUnprocessableEntity, "Validation", "inputs must be text or a list")
		return
	}
	if !s.checkInputs(w, r, len(texts)) {
		return
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = s.Embed(t)
	}
	s.recordBatch(len(texts))
	writeJSON(w, http.StatusOK, out)
}

type openAIEmbedding struct {
	Object    string    `json:"object"`
	Embedding []float32 `json:"embedding"`
	Index     int       `json:"index"`
}

// handleOpenAI serves POST /v1/embeddings.
func (s *Server) handleOpenAI(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input json.RawMessage `json:"input"`
		Model string          `json:"model"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.error(w, r, http.StatusUnprocessableEntity, "Validation", "bad json: "+err.Error())
		return
	}
	texts, ok := inputs(req.Input)
	if !ok {
		s.error(w, r, http.StatusUnprocessableEntity, "Validation", "input must be text or a list")
		return
	}
	if !s.checkInputs(w, r, len(texts)) {
		return
	}
	data := make([]openAIEmbedding, len(texts))
	for i, t := range texts {
		data[i] = openAIEmbedding{Object: "embedding", Embedding: s.Embed(t), Index: i}
	}
	if s.opts.ShuffleOpenAI {
		slices.Reverse(data)
	}
	s.recordBatch(len(texts))
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "model": req.Model,
		"usage": map[string]int{"prompt_tokens": len(texts), "total_tokens": len(texts)}})
}

type scored struct {
	index int
	score float64
}

// handleRerank serves TEI's and vLLM's POST /rerank, told apart by the
// request: TEI sends "texts", vLLM "documents".
func (s *Server) handleRerank(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Query     string   `json:"query"`
		Texts     []string `json:"texts"`
		Documents []string `json:"documents"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.error(w, r, http.StatusUnprocessableEntity, "Validation", "bad json: "+err.Error())
		return
	}
	vllm := req.Documents != nil
	texts := req.Texts
	if vllm {
		texts = req.Documents
	}
	if !s.checkInputs(w, r, len(texts)) {
		return
	}

	ranked := make([]scored, len(texts))
	for i, t := range texts {
		ranked[i] = scored{index: i, score: Relevance(req.Query, t)}
	}
	slices.SortStableFunc(ranked, func(a, b scored) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	if vllm {
		results := make([]map[string]any, len(ranked))
		for i, x := range ranked {
			results[i] = map[string]any{"index": x.index, "relevance_score": x.score,
				"document": map[string]string{"text": texts[x.index]}}
		}
		writeJSON(w, http.StatusOK, map[string]any{"results": results, "usage": map[string]int{}})
		return
	}
	out := make([]map[string]any, len(ranked))
	for i, x := range ranked {
		out[i] = map[string]any{"index": x.index, "score": x.score}
	}
	writeJSON(w, http.StatusOK, out)
}

// Relevance is the fake reranker's score: the share of the query's words
// (longer than two letters) found in text, 0..1.
func Relevance(query, text string) float64 {
	have := make(map[string]bool)
	for _, w := range words(text) {
		have[w] = true
	}
	var total, found int
	for _, w := range words(query) {
		if len(w) <= 2 || strings.TrimSpace(w) == "" {
			continue
		}
		total++
		if have[w] {
			found++
		}
	}
	if total == 0 {
		return 0
	}
	return float64(found) / float64(total)
}
