package vad

import (
	"fmt"

	ort "github.com/yalue/onnxruntime_go"
)

// Names of the Silero VAD v5 graph's inputs and outputs, and the width of
// one stream's slice of its recurrent state ([2, batch, 128]).
const (
	inputName   = "input"  // [batch, context+chunk] float32
	stateName   = "state"  // [2, batch, 128] float32
	rateName    = "sr"     // scalar int64
	probName    = "output" // [batch, 1] float32
	stateNName  = "stateN" // [2, batch, 128] float32
	stateWidth  = 128
	rate8k      = 8000
	rate16k     = 16000
	stateLayers = 2
)

// buffers hold the tensors of batch runs at both rates. One run is in
// flight per buffers at a time.
type buffers struct {
	r8k, r16k *rateBuffers
}

func newBuffers(s *ort.DynamicAdvancedSession, maxBatch int) (*buffers, error) {
	r8k, err := newRateBuffers(s, rate8k, maxBatch)
	if err != nil {
		return nil, err
	}
	r16k, err := newRateBuffers(s, rate16k, maxBatch)
	if err != nil {
		r8k.destroy()
		return nil, err
	}
	return &buffers{r8k: r8k, r16k: r16k}, nil
}

// at returns the buffers for rate, which the caller has validated.
func (b *buffers) at(rate int) *rateBuffers {
	if rate == rate8k {
		return b.r8k
	}
	return b.r16k
}

func (b *buffers) destroy() {
	b.r8k.destroy()
	b.r16k.destroy()
}

// rateBuffers hold, for one sample rate, Go slices big enough for the
// largest batch, and for every batch size n from 1 to the largest an
// IoBinding whose tensors have n rows over the front of those slices.
// Binding once up front is what lets a run allocate nothing: a run only
// copies the streams in, runs the binding for its size and copies out.
type rateBuffers struct {
	session *ort.DynamicAdvancedSession
	inSize  int
	input   []float32 // [n, inSize]
	state   []float32 // [2, n, 128]
	stateN  []float32 // [2, n, 128]
	prob    []float32 // [n, 1]
	// bindings[n-1] binds the tensors of a batch of n.
	bindings []*ort.IoBinding
	values   []ort.Value // every tensor, to destroy
}

func newRateBuffers(s *ort.DynamicAdvancedSession, rate, maxBatch int) (*rateBuffers, error) {
	in := InputSize(rate)
	rb := &rateBuffers{
		session: s,
		inSize:  in,
		input:   make([]float32, maxBatch*in),
		state:   make([]float32, stateLayers*maxBatch*stateWidth),
		stateN:  make([]float32, stateLayers*maxBatch*stateWidth),
		prob:    make([]float32, maxBatch),
	}
	sr, err := ort.NewScalar(int64(rate))
	if err != nil {
		return nil, fmt.Errorf("create %d Hz rate tensor: %w", rate, err)
	}
	rb.values = append(rb.values, sr)

	for n := 1; n <= maxBatch; n++ {
		if err := rb.bind(n, sr); err != nil {
			rb.destroy()
			return nil, fmt.Errorf("bind %d Hz batch of %d: %w", rate, n, err)
		}
	}
	return rb, nil
}

// bind creates the tensors and the binding of a batch of n.
func (rb *rateBuffers) bind(n int, sr ort.Value) error {
	b := int64(n)
	input, err := rb.tensor(ort.NewShape(b, int64(rb.inSize)), rb.input)
	if err != nil {
		return err
	}
	state, err := rb.tensor(ort.NewShape(stateLayers, b, stateWidth), rb.state)
	if err != nil {
		return err
	}
	stateN, err := rb.tensor(ort.NewShape(stateLayers, b, stateWidth), rb.stateN)
	if err != nil {
		return err
	}
	prob, err := rb.tensor(ort.NewShape(b, 1), rb.prob)
	if err != nil {
		return err
	}

	binding, err := rb.session.CreateIoBinding()
	if err != nil {
		return err
	}
	rb.bindings = append(rb.bindings, binding)
	inputs := [...]namedValue{{inputName, input}, {stateName, state}, {rateName, sr}}
	for _, v := range inputs {
		if err := binding.BindInput(v.name, v.value); err != nil {
			return fmt.Errorf("bind input %s: %w", v.name, err)
		}
	}
	outputs := [...]namedValue{{probName, prob}, {stateNName, stateN}}
	for _, v := range outputs {
		if err := binding.BindOutput(v.name, v.value); err != nil {
			return fmt.Errorf("bind output %s: %w", v.name, err)
		}
	}
	return nil
}

type namedValue struct {
	name  string
	value ort.Value
}

func (rb *rateBuffers) tensor(shape ort.Shape, data []float32) (*ort.Tensor[float32], error) {
	t, err := ort.NewTensor(shape, data)
	if err != nil {
		return nil, err
	}
	rb.values = append(rb.values, t)
	return t, nil
}

// load copies one stream's window and state into row i of a batch of n.
func (rb *rateBuffers) load(i, n int, window []float32, st *State) {
	copy(rb.input[i*rb.inSize:(i+1)*rb.inSize], window)
	for layer := range stateLayers {
		dst := (layer*n + i) * stateWidth
		copy(rb.state[dst:dst+stateWidth], st[layer*stateWidth:(layer+1)*stateWidth])
	}
}

// run evaluates the batch of n loaded rows.
func (rb *rateBuffers) run(n int) error {
	return rb.session.RunWithBinding(rb.bindings[n-1])
}

// store copies row i of a batch of n back into a stream's state and
// returns its speech probability.
func (rb *rateBuffers) store(i, n int, st *State) float32 {
	for layer := range stateLayers {
		src := (layer*n + i) * stateWidth
		copy(st[layer*stateWidth:(layer+1)*stateWidth], rb.stateN[src:src+stateWidth])
	}
	return rb.prob[i]
}

func (rb *rateBuffers) destroy() {
	for _, b := range rb.bindings {
		b.Destroy()
	}
	for _, v := range rb.values {
		v.Destroy()
	}
	rb.bindings, rb.values = nil, nil
}
