// Package ragtest provides a fake embeddings and rerank server for tests,
// in the manner of net/http/httptest. It speaks the wire protocols of
// Hugging Face text-embeddings-inference and vLLM as written in
// protocols.md section 3: TEI's /embed and /rerank, the OpenAI-shaped
// /v1/embeddings, and vLLM's /rerank and /v1/rerank, with their input
// limit, their error shapes and injectable faults.
//
// Embeddings are deterministic hashed bags of words, so texts that share
// words are near each other; rerank scores are the share of query words
// found in each text.
package ragtest
