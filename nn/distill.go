package nn

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DistillationLoss is the knowledge-distillation loss of Hinton, Vinyals and
// Dean (2015): for student logits z, hard one-hot labels y and the
// teacher's probabilities p at temperature T, the mean over the batch of
//
//	(1-Alpha) * CE(y, softmax(z)) + Alpha * T^2 * KL(p || softmax(z/T))
//
// The T^2 keeps the soft term's gradient, Alpha*T*(softmax(z/T) - p), on the
// scale of the hard term's as T changes. Its target rows are 2k wide: the
// one-hot label, then the teacher's k probabilities (TargetWidth).
type DistillationLoss struct {
	Temperature, Alpha float64
}

func (DistillationLoss) Name() string { return "distillation" }

// Classification is false: targets are not plain one-hot labels, so the
// trainer reads them from a loader.Regression dataset of width 2k.
func (DistillationLoss) Classification() bool { return false }

// TargetWidth is 2*outputs: label and teacher probabilities.
func (DistillationLoss) TargetWidth(outputs int) int { return 2 * outputs }

// Validate checks the temperature (positive, finite) and Alpha (in [0, 1]).
func (d DistillationLoss) Validate() error {
	if !(d.Temperature > 0) || math.IsInf(d.Temperature, 0) {
		return fmt.Errorf("nn: distillation temperature must be positive, got %v", d.Temperature)
	}
	if !(d.Alpha >= 0 && d.Alpha <= 1) {
		return fmt.Errorf("nn: distillation alpha must be in [0, 1], got %v", d.Alpha)
	}
	return nil
}

func (d DistillationLoss) Build(g *Graph, logits, target *G.Node) (loss *G.Node, err error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	defer catch(&err, "distillation loss")
	return G.ApplyOp(distillOp{t: d.Temperature, alpha: d.Alpha}, logits, target)
}

// TargetWidth is the width of a loss's target rows for a model with the
// given outputs: outputs, unless the loss says otherwise.
func TargetWidth(loss Loss, outputs int) int {
	if w, ok := loss.(interface{ TargetWidth(int) int }); ok {
		return w.TargetWidth(outputs)
	}
	return outputs
}

type distillOp struct{ t, alpha float64 }

func (distillOp) Arity() int { return 2 }
func (distillOp) Type() hm.Type {
	return hm.NewFnType(matrixType(), matrixType(), hm.TypeVariable('a'))
}
func (distillOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (distillOp) ReturnsPtr() bool                               { return false }
func (distillOp) CallsExtern() bool                              { return false }
func (distillOp) OverwritesInput() int                           { return -1 }
func (o distillOp) WriteHash(h hash.Hash)                        { fmt.Fprint(h, o.String()) }
func (o distillOp) Hashcode() uint32                             { return hashOf(o) }
func (o distillOp) String() string {
	return fmt.Sprintf("Distillation(T=%v, alpha=%v)", o.t, o.alpha)
}

// distillInputs checks logits [n, k] against targets [n, 2k].
func distillInputs(inputs []G.Value) (z, y []float32, n, k int, err error) {
	z, zs, err := float32s(inputs[0])
	if err != nil {
		return nil, nil, 0, 0, err
	}
	y, ys, err := float32s(inputs[1])
	if err != nil {
		return nil, nil, 0, 0, err
	}
	if len(zs) != 2 || len(ys) != 2 || ys[0] != zs[0] || ys[1] != 2*zs[1] {
		return nil, nil, 0, 0, fmt.Errorf("nn: distillation: logits %v need targets [%d, 2*%d], got %v", zs, zs[0], zs[1], ys)
	}
	return z, y, zs[0], zs[1], nil
}

// logSoftmaxRow writes log softmax(x/t) into dst.
func logSoftmaxRow(x []float32, t float64, dst []float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v)/t)
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp(float64(v)/t - m)
	}
	ls := math.Log(sum)
	for j, v := range x {
		dst[j] = float64(v)/t - m - ls
	}
}

func (o distillOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("nn: distillation wants 2 inputs, got %d", len(inputs))
	}
	z, y, n, k, err := distillInputs(inputs)
	if err != nil {
		return nil, err
	}
	hard, soft := make([]float64, k), make([]float64, k)
	var total float64
	for i := 0; i < n; i++ {
		row, target := z[i*k:(i+1)*k], y[i*2*k:(i+1)*2*k]
		logSoftmaxRow(row, 1, hard)
		logSoftmaxRow(row, o.t, soft)
		var ce, kl float64
		for j := 0; j < k; j++ {
			if lab := float64(target[j]); lab != 0 {
				ce -= lab * hard[j]
			}
			if p := float64(target[k+j]); p > 0 {
				kl += p * (math.Log(p) - soft[j])
			}
		}
		total += (1-o.alpha)*ce + o.alpha*o.t*o.t*kl
	}
	return G.NewF32(float32(total / float64(n))), nil
}

func (distillOp) DiffWRT(int) []bool { return []bool{true, false} }

func (o distillOp) SymDiff(inputs G.Nodes, _, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(distillGradOp{o}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{d, nil}, nil
}

// distillGradOp is g/n * ((1-alpha)(softmax(z) - y) + alpha*T*(softmax(z/T) - p)).
type distillGradOp struct{ fwd distillOp }

func (distillGradOp) Arity() int { return 3 }
func (distillGradOp) Type() hm.Type {
	return hm.NewFnType(matrixType(), matrixType(), hm.TypeVariable('a'), matrixType())
}
func (distillGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return xentGradOp{}.InferShape(in...)
}
func (distillGradOp) ReturnsPtr() bool        { return false }
func (distillGradOp) CallsExtern() bool       { return false }
func (distillGradOp) OverwritesInput() int    { return -1 }
func (o distillGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, o.String()) }
func (o distillGradOp) Hashcode() uint32      { return hashOf(o) }
func (o distillGradOp) String() string        { return "Grad" + o.fwd.String() }

func (o distillGradOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != 3 {
		return nil, fmt.Errorf("nn: distillation gradient wants 3 inputs, got %d", len(inputs))
	}
	z, y, n, k, err := distillInputs(inputs[:2])
	if err != nil {
		return nil, err
	}
	g, ok := inputs[2].Data().(float32)
	if !ok {
		return nil, fmt.Errorf("nn: distillation gradient: want a float32 scalar, got %T", inputs[2].Data())
	}
	t, alpha := o.fwd.t, o.fwd.alpha
	scale := float64(g) / float64(n)
	hard, soft := make([]float64, k), make([]float64, k)
	out := make([]float32, n*k)
	for i := 0; i < n; i++ {
		row, target := z[i*k:(i+1)*k], y[i*2*k:(i+1)*2*k]
		logSoftmaxRow(row, 1, hard)
		logSoftmaxRow(row, t, soft)
		for j := 0; j < k; j++ {
			d := (1-alpha)*(math.Exp(hard[j])-float64(target[j])) + alpha*t*(math.Exp(soft[j])-float64(target[k+j]))
			out[i*k+j] = float32(d * scale)
		}
	}
	return tensor.New(tensor.WithShape(n, k), tensor.WithBacking(out)), nil
}
