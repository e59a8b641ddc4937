// Package dialog is the dialog engine: it turns a user's message into an
// answer from the tenant's knowledge base and records the conversation.
//
// One Reply retrieves passages for the question (condensing a follow-up
// into a standalone question with the small LLM when one is configured),
// then walks a fallback chain: the main LLM, the small LLM, and finally an
// extractive answer built from the best passage's sentences, which needs no
// model at all. Every step streams text through a callback, so that a
// voice front end can hand complete sentences (see Splitter) to speech
// synthesis while the model is still writing.
//
// LLMs are reached over the OpenAI-compatible chat completions protocol
// (vLLM, Ollama, Azure OpenAI and others), streamed with server-sent
// events. What is sent to a model is composed in exactly one place,
// buildChatRequest, so that the egress policy can govern it: an endpoint
// whose locality is "external" receives the system prompt, the selected
// passages and the standalone question, never the conversation history.
//
// Voice is the turn controller of a phone or browser call. The transport
// pushes the caller's audio (PushAudio, from its media clock) and key
// presses (PushDTMF) and offers a Line: the playout queue, transfer and
// hang-up. On one event loop (Run), Voice runs the speech detector,
// streams each utterance into a recognizer from its pre-roll on, asks for
// a speculative transcript at every pause, ends the turn after a silence
// that depends on what the caller said so far, and speaks the answer
// sentence by sentence while the model still writes. Caller speech over
// the agent pauses its audio at once; words beyond a backchannel make it
// an interruption (the answer is flushed and only what was heard is
// kept), anything else resumes it. Every turn is stored with its
// latencies, stamped on the call's recording timeline.
//
// Given a TracerProvider, Voice traces the call and each of its turns
// with their stages, and Engine each reply with its retrieval and model
// stages (see SpanCall). Spans carry identifiers, lengths and durations,
// never a transcript, an answer, a passage or audio.
//
// The package llmtest provides a scriptable fake OpenAI-compatible server
// for tests, including the protocol's odd corners and its failures.
package dialog
