package dialog

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/voiced/voiced/dialog/llmtest"
	"github.com/voiced/voiced/rag"
	"github.com/voiced/voiced/store"
)

// memStore keeps conversations in memory; the other Store methods are
// unused by the engine.
type memStore struct {
	store.Store // nil: calling anything else panics

	mu           sync.Mutex // guards the fields below
	convs        map[string]store.Conversation
	turns        map[string][]store.Turn
	fingerprints map[string]string // fingerprint → conversation ID
	failAppend   error
}

func newMemStore() *memStore {
	return &memStore{convs: map[string]store.Conversation{}, turns: map[string][]store.Turn{},
		fingerprints: map[string]string{}}
}

func (m *memStore) CreateConversation(_ context.Context, c store.Conversation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.convs[c.ID]; ok {
		return fmt.Errorf("create %s: %w", c.ID, store.ErrExists)
	}
	m.convs[c.ID] = c
	return nil
}

func (m *memStore) AppendTurns(_ context.Context, id string, turns []store.Turn) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failAppend != nil {
		return m.failAppend
	}
	if _, ok := m.convs[id]; !ok {
		return store.ErrNotFound
	}
	for _, t := range turns {
		t.ConversationID, t.Seq = id, len(m.turns[id])+1
		m.turns[id] = append(m.turns[id], t)
	}
	return nil
}

func (m *memStore) Conversation(_ context.Context, tenantID, id string) (store.Conversation, []store.Turn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.convs[id]
	if !ok || c.TenantID != tenantID {
		return store.Conversation{}, nil, store.ErrNotFound
	}
	c.Turns = len(m.turns[id])
	return c, append([]store.Turn(nil), m.turns[id]...), nil
}

func (m *memStore) SetFingerprint(_ context.Context, id, fp string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fingerprints[fp] = id
	return nil
}

func (m *memStore) ConversationByFingerprint(_ context.Context, tenantID, fp string) (store.Conversation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.convs[m.fingerprints[fp]]
	if !ok || c.TenantID != tenantID {
		return store.Conversation{}, store.ErrNotFound
	}
	return c, nil
}

func (m *memStore) Conversations(_ context.Context, tenantID string, _ int) ([]store.Conversation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Conversation
	for _, c := range m.convs {
		if c.TenantID == tenantID {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// fakeSearcher returns passages whose text shares a word with the query.
type fakeSearcher struct {
	passages []rag.Passage

	mu      sync.Mutex // guards queries
	queries []string
}

func (f *fakeSearcher) Search(_ context.Context, _, query string, k int) ([]rag.Passage, error) {
	f.mu.Lock()
	f.queries = append(f.queries, query)
	f.mu.Unlock()
	var out []rag.Passage
	for _, p := range f.passages {
		for _, w := range contentWords(query) {
			if strings.Contains(strings.ToLower(p.Text), stem(w)) {
				out = append(out, p)
				break
			}
		}
	}
	if len(out) > k {
		out = out[:k]
	}
	return out, nil
}

func (f *fakeSearcher) lastQuery() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queries) == 0 {
		return ""
	}
	return f.queries[len(f.queries)-1]
}

var testPassages = []rag.Passage{
	{ChunkID: 1, Source: "hours.md", Title: "Opening hours", Text: "Our shop is in the old town. " +
		"We are open Monday to Friday from 9 a.m. to 6 p.m. On Saturday we open from 10 to 2."},
	{ChunkID: 2, Source: "parking.md", Title: "Parking", Text: "Parking is free for customers. " +
		"The car park is behind the building."},
}

// harness is an engine wired to fakes and fake model servers.
type harness struct {
	engine   *Engine
	store    *memStore
	searcher *fakeSearcher
	reg      *prometheus.Registry
}

func newHarness(t *testing.T, llm, small *LLMConfig) *harness {
	t.Helper()
	h := &harness{store: newMemStore(), searcher: &fakeSearcher{passages: testPassages},
		reg: prometheus.NewRegistry()}
	var err error
	h.engine, err = New(Config{Store: h.store, Searcher: h.searcher, LLM: llm, SmallLLM: small,
		Registerer: h.reg})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h
}

// llmConfig points an endpoint at a fake server with generous timeouts.
func llmConfig(srv *llmtest.Server, locality string) *LLMConfig {
	return &LLMConfig{BaseURL: srv.URL, Model: "test-model", APIKey: "sk-test",
		Timeout: 30 * time.Second, FirstTokenTimeout: 10 * time.Second, Locality: locality}
}

// reply asks one question and returns the result and the deltas.
func (h *harness) reply(t *testing.T, req Request) (Result, []string) {
	t.Helper()
	var deltas []string
	res, err := h.engine.Reply(context.Background(), req, func(d string) error {
		deltas = append(deltas, d)
		return nil
	})
	if err != nil {
		t.Fatalf("Reply: %v", err)
	}
	if got := strings.Join(deltas, ""); got != res.Text {
		t.Errorf("got deltas %q, want them to make up the text %q", got, res.Text)
	}
	return res, deltas
}

// counter reads a counter's value from the registry, 0 when absent.
func (h *harness) counter(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := h.reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func ask(question string, history ...Message) Request {
	msgs := append(append([]Message(nil), history...), Message{Role: "user", Content: question})
	return Request{TenantID: "acme", Agent: Agent{Name: "helper"}, Messages: msgs}
}
