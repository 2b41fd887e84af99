package optim

import "testing"

// mlpParams is the parameter set of a 784-128-64-10 MLP.
func mlpParams() []Param {
	shapes := []struct {
		name  string
		shape []int
	}{
		{"dense1/weight", []int{784, 128}}, {"dense1/bias", []int{128}},
		{"dense2/weight", []int{128, 64}}, {"dense2/bias", []int{64}},
		{"dense3/weight", []int{64, 10}}, {"dense3/bias", []int{10}},
	}
	params := make([]Param, len(shapes))
	for i, s := range shapes {
		n, _ := shapeSize(s.shape)
		params[i] = Param{Name: s.name, Shape: s.shape, Value: make([]float32, n), Grad: make([]float32, n)}
		for k := range n {
			params[i].Value[k] = float32(k%97) / 97
			params[i].Grad[k] = float32(k%13-6) / 1300
		}
	}
	return params
}

func BenchmarkStep(b *testing.B) {
	params := mlpParams()
	count := 0
	for _, p := range params {
		count += len(p.Value)
	}
	for _, name := range allKinds() {
		b.Run(name, func(b *testing.B) {
			o := mustNew(b, name, 1e-6)
			if err := o.Step(params); err != nil { // creates the state
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := o.Step(params); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(count)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mparams/s")
		})
	}
}

func BenchmarkClipGlobalNorm(b *testing.B) {
	params := mlpParams()
	b.ReportAllocs()
	for b.Loop() {
		ClipGlobalNorm(params, 1e9)
	}
}
