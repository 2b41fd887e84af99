package nn

import (
	"math/rand/v2"
	"testing"
)

// A training program's Outputs must be the model outputs, not memory the
// backward pass reused.
func TestTrainingOutputsMatchEvaluation(t *testing.T) {
	for _, loss := range []Loss{SoftmaxCrossEntropy{}, MSE{}} {
		t.Run(loss.Name(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(2, 3))
			d1, _ := NewDense("d1", 4, 5, GlorotUniform, rng)
			a, _ := NewActivation("a", ReLU)
			d2, _ := NewDense("d2", 5, 3, GlorotUniform, rng)
			model, _ := NewSequential([]int{4}, d1, a, d2)
			train, err := Compile(model, Training, 3, loss)
			if err != nil {
				t.Fatal(err)
			}
			defer train.Close()
			eval, err := Compile(model, Evaluation, 3, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer eval.Close()
			x := randomSlice(rng, 12, 1)
			copy(train.Input(), x)
			copy(eval.Input(), x)
			copy(train.Target(), oneHot(rng, 3, 3))
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
