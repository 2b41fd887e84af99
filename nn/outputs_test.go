package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// A training program's Outputs must be the model outputs, not memory the
// backward pass reused; and the evaluation program's fused dense op gives
// the bits of the training graph's MatMul and broadcast add, at batch 1
// too (a [1, n] matrix).
func TestTrainingOutputsMatchEvaluation(t *testing.T) {
	for _, loss := range []Loss{SoftmaxCrossEntropy{}, MSE{}} {
		for _, batch := range []int{1, 3} {
			testTrainingOutputsMatchEvaluation(t, loss, batch)
		}
	}
}

func testTrainingOutputsMatchEvaluation(t *testing.T, loss Loss, batch int) {
	{
		t.Run(fmt.Sprintf("%s/batch=%d", loss.Name(), batch), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(2, 3))
			d1, _ := NewDense("d1", 4, 5, GlorotUniform, rng)
			a, _ := NewActivation("a", ReLU)
			d2, _ := NewDense("d2", 5, 3, GlorotUniform, rng)
			model, _ := NewSequential([]int{4}, d1, a, d2)
			train, err := Compile(model, Training, batch, loss)
			if err != nil {
				t.Fatal(err)
			}
			defer train.Close()
			eval, err := Compile(model, Evaluation, batch, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer eval.Close()
			x := randomSlice(rng, batch*4, 1)
			copy(train.Input(), x)
			copy(eval.Input(), x)
			copy(train.Target(), oneHot(rng, batch, 3))
			if err := train.Run(nil); err != nil {
				t.Fatal(err)
			}
			if err := eval.Run(nil); err != nil {
				t.Fatal(err)
			}
			for i, v := range eval.Outputs() {
				if train.Outputs()[i] != v {
					t.Fatalf("training output[%d] = %v, evaluation gives %v", i, train.Outputs()[i], v)
				}
			}
		})
	}
}
