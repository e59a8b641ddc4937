package rag

// MatchCoverage is the recommended Coverage threshold below which a
// caller should treat a result as "nothing in the knowledge base matches"
// instead of answering from it. On the demo knowledge base every on-topic
// question reaches at least a third in its best passage, while questions
// sharing no content word with the knowledge base have 0 (lexical-only
// search returns no passage for them at all; dense search always returns
// its nearest ones, which is where this threshold matters).
const MatchCoverage = 0.3

// Passage is a retrieved piece of a tenant's knowledge base.
type Passage struct {
	ChunkID int64
	// Source is the document's source path within the tenant.
	Source  string
	Title   string
	Heading string
	Text    string
	// Score orders passages within one result, larger is better. Its scale
	// depends on the stage that produced it: the BM25 score when only
	// lexical retrieval ran (0 never occurs; scores grow with the number
	// and rarity of matched terms and are comparable only within one
	// tenant), the reciprocal-rank-fusion score (at most 2/61) when dense
	// retrieval ran too, or the reranker's relevance (0..1) when a
	// reranker is configured.
	Score float64
	// Coverage is the fraction (0..1) of the question's distinct content
	// words (stop words removed, stemmed, synonyms folded) that occur in
	// the passage's heading, context or text. Unlike Score it has the
	// same scale in every mode, so it is the field to decide whether the
	// best passage really answers the question: see MatchCoverage. A
	// question without content words has coverage 0.
	Coverage float64
}
