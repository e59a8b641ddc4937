package vad

import (
	"fmt"
	"sync"
	"sync/atomic"

	ort "github.com/yalue/onnxruntime_go"
)

// StateSize is the number of values in one stream's recurrent state.
const StateSize = stateLayers * stateWidth

// DefaultMaxBatch is the largest batch a Model runs when ModelConfig
// leaves MaxBatch zero. Past 32 windows a batch costs hardly less per
// window and only makes the windows queued behind it wait longer.
const DefaultMaxBatch = 32

// State is the recurrent state the model carries from one window of a
// stream to the next. The zero value is the state at a stream's start.
type State [StateSize]float32

// Reset returns s to the state at a stream's start.
func (s *State) Reset() { *s = State{} }

// ChunkSize returns how many new samples each window adds at rate: 512 at
// 16 kHz and 256 at 8 kHz, 32 ms either way; 0 for other rates.
func ChunkSize(rate int) int {
	switch rate {
	case rate16k:
		return 512
	case rate8k:
		return 256
	}
	return 0
}

// ContextSize returns how many samples from the end of the previous
// window precede the new ones in each window Silero v5 sees: 64 at
// 16 kHz and 32 at 8 kHz; 0 for other rates. The first window of a
// stream has zeros there.
func ContextSize(rate int) int { return ChunkSize(rate) / 8 }

// InputSize returns the length of a window given to Infer or InferBatch:
// ContextSize(rate) samples of context followed by ChunkSize(rate) new
// ones, scaled to [-1, 1).
func InputSize(rate int) int { return ContextSize(rate) + ChunkSize(rate) }

// ModelConfig says where the runtime and the model are and how the Model
// runs them. The zero value finds both with LocateLibrary and LocateModel.
type ModelConfig struct {
	// LibraryPath is the ONNX Runtime shared library; empty means
	// LocateLibrary. A process loads one library, once: every Model must
	// name the same one.
	LibraryPath string
	// ModelPath is the Silero VAD v5 ONNX file; empty means LocateModel.
	ModelPath string
	// MaxBatch is the most windows run together; zero means
	// DefaultMaxBatch.
	MaxBatch int
	// Concurrency is how many batches may run at once, each on one core
	// (ONNX Runtime runs a batch on a single thread); zero means 1. One
	// is the cheapest per window, since it makes the biggest batches; more
	// shorten the wait under heavy load.
	Concurrency int
}

func (c *ModelConfig) fill() error {
	var err error
	if c.LibraryPath == "" {
		if c.LibraryPath, err = LocateLibrary(); err != nil {
			return err
		}
	}
	if c.ModelPath == "" {
		if c.ModelPath, err = LocateModel(); err != nil {
			return err
		}
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.MaxBatch < 1 || c.Concurrency < 1 {
		return fmt.Errorf("max batch %d, concurrency %d: %w", c.MaxBatch, c.Concurrency, ErrConfig)
	}
	return nil
}

// Model is a loaded Silero VAD v5 model, shared by every stream of the
// process. Detectors submit their windows to it and the windows that
// arrive together run as one batch; Infer and InferBatch run it directly.
// All methods are safe for concurrent use.
type Model struct {
	session  *ort.DynamicAdvancedSession
	maxBatch int

	windows atomic.Uint64 // windows run, for Stats
	batches atomic.Uint64 // model runs, for Stats

	lanes   chan *lane     // idle lanes; a leader holds one while it runs
	leading sync.WaitGroup // leaders in flight, for Close
	once    sync.Once

	mu      sync.Mutex // guards the fields below: the submit queue
	pending []*request // windows waiting for a leader, oldest first
	leaders int        // leaders in flight, at most cap(lanes)
	closed  bool       // set by Close; submit refuses work

	directMu sync.Mutex // guards the fields below
	direct   *buffers   // used by Infer and InferBatch
	all      []*lane    // every lane, destroyed by Close
	released bool       // set once Close has destroyed the buffers
}

// NewModel loads the ONNX Runtime library (once per process) and the
// model, and checks that the model answers at both rates. Close releases
// it.
func NewModel(cfg ModelConfig) (*Model, error) {
	if err := cfg.fill(); err != nil {
		return nil, fmt.Errorf("new vad model: %w", err)
	}
	if err := loadRuntime(cfg.LibraryPath); err != nil {
		return nil, fmt.Errorf("new vad model: %w", err)
	}
	session, err := newSession(cfg.ModelPath)
	if err != nil {
		return nil, fmt.Errorf("new vad model: %w", err)
	}

	m := &Model{
		session:  session,
		maxBatch: cfg.MaxBatch,
		lanes:    make(chan *lane, cfg.Concurrency),
		pending:  make([]*request, 0, 4*cfg.MaxBatch),
	}
	if err := m.allocate(cfg.Concurrency); err != nil {
		m.release()
		return nil, fmt.Errorf("new vad model %s: %w", cfg.ModelPath, err)
	}
	if err := m.warmUp(); err != nil {
		m.release()
		return nil, fmt.Errorf("new vad model %s: %w", cfg.ModelPath, err)
	}
	m.windows.Store(0)
	m.batches.Store(0)
	return m, nil
}

// newSession opens the model for single-threaded runs: a batch is small
// enough that spreading it over threads costs more than it saves, and
// the process runs many streams in parallel anyway.
func newSession(path string) (*ort.DynamicAdvancedSession, error) {
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		return nil, err
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, err
	}
	if err := opts.SetExecutionMode(ort.ExecutionModeSequential); err != nil {
		return nil, err
	}

	s, err := ort.NewDynamicAdvancedSession(path, nil, nil, opts)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

func (m *Model) allocate(lanes int) error {
	var err error
	if m.direct, err = newBuffers(m.session, m.maxBatch); err != nil {
		return err
	}
	for range lanes {
		b, err := newBuffers(m.session, m.maxBatch)
		if err != nil {
			return err
		}
		l := &lane{buffers: b, batch: make([]*request, 0, m.maxBatch)}
		m.all = append(m.all, l)
		m.lanes <- l
	}
	return nil
}

// warmUp runs one silent window at each rate: it fails early on a file
// that is not Silero v5 and makes ONNX Runtime set up its kernels before
// the first call needs them.
func (m *Model) warmUp() error {
	for _, rate := range []int{rate8k, rate16k} {
		var st State
		if _, err := m.Infer(rate, make([]float32, InputSize(rate)), &st); err != nil {
			return err
		}
	}
	return nil
}

// Close waits for the batches in flight and releases the model. Windows
// already submitted finish; later calls get ErrClosed. The runtime
// library stays loaded for the next Model. Close is idempotent.
func (m *Model) Close() error {
	m.once.Do(func() {
		m.mu.Lock()
		m.closed = true
		m.mu.Unlock()
		m.leading.Wait()
		m.release()
	})
	return nil
}

// Stats counts a Model's work since NewModel.
type Stats struct {
	// Windows is how many windows the model has evaluated.
	Windows uint64
	// Batches is how many runs evaluated them; Windows/Batches is the
	// average batch size.
	Batches uint64
}

// Stats returns the Model's counts, for metrics.
func (m *Model) Stats() Stats {
	return Stats{Windows: m.windows.Load(), Batches: m.batches.Load()}
}

// count records one run of n windows.
func (m *Model) count(n int) {
	m.windows.Add(uint64(n))
	m.batches.Add(1)
}

func (m *Model) release() {
	m.directMu.Lock()
	defer m.directMu.Unlock()
	m.released = true
	for _, l := range m.all {
		l.destroy()
	}
	if m.direct != nil {
		m.direct.destroy()
	}
	m.session.Destroy()
}
