// Package rag turns a tenant's documents into retrievable passages and
// finds the passages that answer a question.
//
// Ingestion (Ingest) parses text, Markdown, HTML and text-layer PDF files
// into titled sections, chunks them along their structure, optionally adds
// a situating sentence (Contextualizer) and a dense vector (Embedder), and
// stores each document atomically, skipping files whose SHA-256 did not
// change and deleting documents whose files are gone.
//
// Retrieval (Retriever) keeps one immutable in-memory index per tenant: a
// BM25 inverted index over stemmed terms and, when chunks carry vectors, a
// brute-force cosine index. A search fuses both lists with reciprocal rank
// fusion and lets an optional Reranker reorder the candidates.
//
// EmbeddingClient and RerankClient speak the wire protocols of Hugging
// Face text-embeddings-inference and vLLM (protocols.md, section 3); the
// ragtest package provides a fake of both servers for tests.
package rag
