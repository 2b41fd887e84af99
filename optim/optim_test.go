package optim

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/internal/testutil"
)

// allKinds are the names New accepts.
func allKinds() []string {
	return []string{"sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad"}
}

// twoParams is the small problem of the tests: the same starting values as
// scripts/torch_optim_reference.py.
func twoParams() []Param {
	return []Param{
		{Name: "w", Shape: []int{2, 3}, Value: []float32{0.5, -1, 1.5, 2, -0.25, 0.75}, Grad: make([]float32, 6)},
		{Name: "b", Shape: []int{3}, Value: []float32{0.1, -0.2, 0.3}, Grad: make([]float32, 3)},
	}
}

// setGrads gives step k its own gradients, a fixed pattern of both signs.
func setGrads(params []Param, k int) {
	for j, p := range params {
		for i := range p.Grad {
			p.Grad[i] = float32(math.Sin(float64(1 + 7*k + 3*j + i)))
		}
	}
}

func mustNew(t testing.TB, name string, lr float64) Optimizer {
	t.Helper()
	o, err := New(name, Common{LearningRate: lr})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// run takes steps first..last-1 on params.
func run(t testing.TB, o Optimizer, params []Param, first, last int) {
	t.Helper()
	for k := first; k < last; k++ {
		setGrads(params, k)
		if err := o.Step(params); err != nil {
			t.Fatalf("step %d: %v", k, err)
		}
	}
}

// TestAdamHandComputed checks Adam against PyTorch's update rule
// (torch/optim/adam.py, _single_tensor_adam, torch 1.13) written out in
// float64 here, on two values over three steps with lr 0.1 and the default
// betas 0.9, 0.999 and eps 1e-8.
func TestAdamHandComputed(t *testing.T) {
	grads := [][2]float64{{0.5, 0.001}, {-0.25, 0.002}, {1.0, -0.003}}
	want := [2]float64{1.0, -2.0}
	var m, v [2]float64
	for k, g := range grads {
		step := float64(k + 1)
		for i := range want {
			m[i] = 0.9*m[i] + 0.1*g[i]
			v[i] = 0.999*v[i] + 0.001*g[i]*g[i]
			stepSize := 0.1 / (1 - math.Pow(0.9, step))
			denom := math.Sqrt(v[i])/math.Sqrt(1-math.Pow(0.999, step)) + 1e-8
			want[i] -= stepSize * m[i] / denom
		}
	}
	// By hand, step 1 moves each value by lr*g/(|g|+eps), about 0.1:
	// 1 - 0.1*0.5/(0.5+1e-8) = 0.9000000002. After step 3, torch 1.13 gives
	// 0.8075551986694336 and -2.18985652923584 in float32.
	if !testutil.Close(want[0], 0.8075551396770897, 1e-12, 0) || !testutil.Close(want[1], -2.1898567215154143, 1e-12, 0) {
		t.Fatalf("float64 reference drifted: %v", want)
	}

	o, err := NewAdam(AdamSettings{LearningRate: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	p := []Param{{Name: "x", Shape: []int{2}, Value: []float32{1, -2}, Grad: make([]float32, 2)}}
	for k, g := range grads {
		p[0].Grad[0], p[0].Grad[1] = float32(g[0]), float32(g[1])
		if err := o.Step(p); err != nil {
			t.Fatalf("step %d: %v", k, err)
		}
	}
	for i := range want {
		if !testutil.Close(float64(p[0].Value[i]), want[i], 1e-6, 0) {
			t.Errorf("x[%d] = %.9g, want %.9g", i, p[0].Value[i], want[i])
		}
	}
}

func TestSettingsErrors(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		make func() error
		want string
	}{
		{"sgd negative lr", func() error { _, err := NewSGD(SGDSettings{LearningRate: -0.1}); return err }, "learning rate -0.1"},
		{"sgd nan lr", func() error { _, err := NewSGD(SGDSettings{LearningRate: nan}); return err }, "learning rate NaN"},
		{"sgd inf lr", func() error { _, err := NewSGD(SGDSettings{LearningRate: math.Inf(1)}); return err }, "learning rate +Inf"},
		{"sgd negative decay", func() error { _, err := NewSGD(SGDSettings{WeightDecay: -1}); return err }, "weight decay -1"},
		{"momentum 1", func() error { _, err := NewMomentum(MomentumSettings{Momentum: 1}); return err }, "momentum momentum 1 outside [0, 1)"},
		{"nesterov negative", func() error { _, err := NewMomentum(MomentumSettings{Momentum: -0.5, Nesterov: true}); return err }, "nesterov momentum -0.5"},
		{"adam beta1 1", func() error { _, err := NewAdam(AdamSettings{Beta1: 1}); return err }, "adam beta1 1 outside [0, 1)"},
		{"adam beta2 negative", func() error { _, err := NewAdam(AdamSettings{Beta2: -0.1}); return err }, "adam beta2 -0.1"},
		{"adam beta2 nan", func() error { _, err := NewAdam(AdamSettings{Beta2: nan}); return err }, "adam beta2 NaN"},
		{"adam eps negative", func() error { _, err := NewAdam(AdamSettings{Epsilon: -1e-8}); return err }, "adam epsilon -1e-08"},
		{"adam negative lr", func() error { _, err := NewAdam(AdamSettings{LearningRate: -1}); return err }, "adam learning rate -1"},
		{"adamw negative decay", func() error { _, err := NewAdamW(AdamWSettings{WeightDecay: -0.01}); return err }, "adamw weight decay -0.01"},
		{"adamw beta1 2", func() error { _, err := NewAdamW(AdamWSettings{Beta1: 2}); return err }, "adamw beta1 2"},
		{"rmsprop alpha 1", func() error { _, err := NewRMSProp(RMSPropSettings{Alpha: 1}); return err }, "rmsprop alpha 1"},
		{"rmsprop eps negative", func() error { _, err := NewRMSProp(RMSPropSettings{Epsilon: -1}); return err }, "rmsprop epsilon -1"},
		{"adagrad eps inf", func() error { _, err := NewAdaGrad(AdaGradSettings{Epsilon: math.Inf(1)}); return err }, "adagrad epsilon +Inf"},
		{"adagrad accumulator", func() error { _, err := NewAdaGrad(AdaGradSettings{InitialAccumulator: -1}); return err }, "initial accumulator -1"},
		{"new unknown", func() error { _, err := New("lbfgs", Common{}); return err }, `"lbfgs" (valid: adam, adamw, adagrad, momentum, nesterov, rmsprop, sgd)`},
		{"new negative lr", func() error { _, err := New("adam", Common{LearningRate: -1}); return err }, "adam learning rate -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.make()
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "optim: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	sgd, _ := NewSGD(SGDSettings{})
	mom, _ := NewMomentum(MomentumSettings{})
	adam, _ := NewAdam(AdamSettings{})
	adamw, _ := NewAdamW(AdamWSettings{})
	rms, _ := NewRMSProp(RMSPropSettings{})
	ada, _ := NewAdaGrad(AdaGradSettings{})
	cases := []struct {
		name      string
		got, want any
	}{
		{"sgd", sgd.Settings(), SGDSettings{LearningRate: 0.01}},
		{"momentum", mom.Settings(), MomentumSettings{LearningRate: 0.01, Momentum: 0.9}},
		{"adam", adam.Settings(), AdamSettings{LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8}},
		{"adamw", adamw.Settings(), AdamWSettings{LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, WeightDecay: 0.01}},
		{"rmsprop", rms.Settings(), RMSPropSettings{LearningRate: 0.01, Alpha: 0.99, Epsilon: 1e-8}},
		{"adagrad", ada.Settings(), AdaGradSettings{LearningRate: 0.01, Epsilon: 1e-10}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("settings %+v, want %+v", c.got, c.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	defaults := map[string]float64{"sgd": 0.01, "momentum": 0.01, "nesterov": 0.01, "adam": 0.001, "adamw": 0.001, "rmsprop": 0.01, "adagrad": 0.01}
	for _, name := range allKinds() {
		t.Run(name, func(t *testing.T) {
			o := mustNew(t, name, 0)
			if s := o.State(); s.Kind != name || s.Step != 0 || s.LearningRate != defaults[name] || len(s.Tensors) != 0 {
				t.Errorf("fresh state %+v, want kind %s, step 0, lr %g, no tensors", s, name, defaults[name])
			}
			if o = mustNew(t, name, 0.25); o.LearningRate() != 0.25 {
				t.Errorf("learning rate %g, want 0.25", o.LearningRate())
			}
		})
	}
}

// TestLearningRateChange checks that a new rate applies from the next step,
// for SGD where the steps are easy to write out.
func TestLearningRateChange(t *testing.T) {
	o := mustNew(t, "sgd", 0.1)
	p := []Param{{Name: "x", Value: []float32{1}, Grad: []float32{0.5}}}
	want := float32(1) - float32(0.1)*0.5
	if err := o.Step(p); err != nil || p[0].Value[0] != want {
		t.Fatalf("step 1: x = %g (%v), want %g", p[0].Value[0], err, want)
	}
	o.SetLearningRate(0.5)
	want -= 0.5 * 0.5
	if err := o.Step(p); err != nil || p[0].Value[0] != want {
		t.Fatalf("step 2: x = %g (%v), want %g", p[0].Value[0], err, want)
	}
	if o.State().LearningRate != 0.5 {
		t.Errorf("state learning rate %g, want 0.5", o.State().LearningRate)
	}
}

func TestStepErrors(t *testing.T) {
	cases := []struct {
		name   string
		first  bool // the bad call is the first Step
		lr     float64
		change func(p []Param) []Param
		want   string
	}{
		{"fewer params", false, 0, func(p []Param) []Param { return p[:1] }, "stepped with 2 parameters, got 1"},
		{"renamed", false, 0, func(p []Param) []Param { p[1].Name = "c"; return p }, `parameter 1 is "c", was "b"`},
		{"reordered", false, 0, func(p []Param) []Param { p[0], p[1] = p[1], p[0]; return p }, `parameter 0 is "b", was "w"`},
		{"short grad", false, 0, func(p []Param) []Param { p[0].Grad = p[0].Grad[:5]; return p }, `"w" has 6 values and 5 gradients, want 6`},
		{"negative lr", false, -0.1, func(p []Param) []Param { return p }, "learning rate -0.1"},
		{"nan lr", true, math.NaN(), func(p []Param) []Param { return p }, "learning rate NaN"},
		{"duplicate name", true, 0, func(p []Param) []Param { p[1].Name = "w"; return p }, `name "w" used twice`},
		{"no name", true, 0, func(p []Param) []Param { p[0].Name = ""; return p }, "parameter 0 has no name"},
		{"shape mismatch", true, 0, func(p []Param) []Param { p[0].Shape = []int{3, 3}; return p }, `"w" of shape [3 3] has 6 values`},
		{"bad shape", true, 0, func(p []Param) []Param { p[0].Shape = []int{-2, -3}; return p }, "non-positive dimension"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := mustNew(t, "adam", 0)
			p := twoParams()
			if !c.first {
				run(t, o, p, 0, 1)
			}
			if c.lr != 0 {
				o.SetLearningRate(c.lr)
			}
			before := o.State()
			err := o.Step(c.change(p))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if after := o.State(); after.Step != before.Step {
				t.Errorf("failed step counted: step %d -> %d", before.Step, after.Step)
			}
		})
	}
}

// TestResumeBitIdentical checks that 3 steps, State, LoadState into another
// optimizer and 2 more steps give the same bits as 5 steps straight.
func TestResumeBitIdentical(t *testing.T) {
	variants := []struct {
		name string
		load func(t *testing.T, o Optimizer, s State)
	}{
		{"fresh", func(t *testing.T, o Optimizer, s State) {}},
		{"tensors reversed", func(t *testing.T, o Optimizer, s State) { slices.Reverse(s.Tensors) }},
		{"after a step", func(t *testing.T, o Optimizer, s State) { run(t, o, twoParams(), 7, 8) }},
	}
	for _, name := range allKinds() {
		for _, v := range variants {
			t.Run(name+"/"+v.name, func(t *testing.T) {
				straight := twoParams()
				a := mustNew(t, name, 0.05)
				run(t, a, straight, 0, 5)

				resumed := twoParams()
				b := mustNew(t, name, 0.05)
				run(t, b, resumed, 0, 3)
				s := b.State()
				c := mustNew(t, name, 0.9) // the learning rate comes from the state
				v.load(t, c, s)
				if err := c.LoadState(s); err != nil {
					t.Fatal(err)
				}
				run(t, c, resumed, 3, 5)

				for i := range straight {
					for k, x := range straight[i].Value {
						if y := resumed[i].Value[k]; math.Float32bits(x) != math.Float32bits(y) {
							t.Fatalf("%s[%d] = %x resumed, %x straight", straight[i].Name, k, math.Float32bits(y), math.Float32bits(x))
						}
					}
				}
				if sa, sc := a.State(), c.State(); !statesEqual(sa, sc) {
					t.Errorf("states differ:\nstraight %+v\nresumed  %+v", sa, sc)
				}
			})
		}
	}
}

func statesEqual(a, b State) bool {
	return a.Kind == b.Kind && a.Step == b.Step && a.LearningRate == b.LearningRate &&
		slices.EqualFunc(a.Tensors, b.Tensors, func(x, y Tensor) bool {
			return x.Name == y.Name && slices.Equal(x.Shape, y.Shape) && slices.Equal(x.Data, y.Data)
		})
}

func TestStateIsDeepCopy(t *testing.T) {
	o := mustNew(t, "adam", 0)
	run(t, o, twoParams(), 0, 2)
	s := o.State()
	if names := tensorNames(s); !slices.Equal(names, []string{"w/m", "w/v", "b/m", "b/v"}) {
		t.Fatalf("tensor names %v", names)
	}
	s.Tensors[0].Data[0] = 42
	s.Tensors[0].Shape[0] = 42
	if again := o.State(); again.Tensors[0].Data[0] == 42 || again.Tensors[0].Shape[0] == 42 {
		t.Error("State shares memory with the optimizer")
	}
	loaded := mustNew(t, "adam", 0)
	if err := loaded.LoadState(s); err == nil {
		t.Error("loaded a state whose shape no longer fits its data")
	}
	s = o.State()
	if err := loaded.LoadState(s); err != nil {
		t.Fatal(err)
	}
	s.Tensors[1].Data[0] = 42
	if again := loaded.State(); again.Tensors[1].Data[0] == 42 {
		t.Error("LoadState keeps the caller's slices")
	}
}

func tensorNames(s State) []string {
	var names []string
	for _, t := range s.Tensors {
		names = append(names, t.Name)
	}
	return names
}

func TestLoadStateErrors(t *testing.T) {
	cases := []struct {
		name    string
		stepped bool // load into an optimizer that has taken a step
		change  func(s *State)
		want    string
	}{
		{"other kind", false, func(s *State) { s.Kind = "sgd" }, `cannot load "sgd" state into a adam optimizer`},
		{"negative step", false, func(s *State) { s.Step = -1 }, "negative step count -1"},
		{"nan learning rate", false, func(s *State) { s.LearningRate = math.NaN() }, "state learning rate NaN"},
		{"no slash", false, func(s *State) { s.Tensors[0].Name = "m" }, `"m" is not named <param>/<slot>`},
		{"unknown slot", false, func(s *State) { s.Tensors[0].Name = "w/exp_avg" }, `unknown slot "exp_avg" (valid: m, v)`},
		{"missing slot", false, func(s *State) { s.Tensors = s.Tensors[1:] }, `lacks tensor "w/m"`},
		{"duplicate", false, func(s *State) { s.Tensors[1] = s.Tensors[0] }, `"w/m" appears twice`},
		{"short data", false, func(s *State) { s.Tensors[0].Data = s.Tensors[0].Data[:2] }, "of shape [2 3] has 2 values"},
		{"slot shapes differ", false, func(s *State) { s.Tensors[1].Shape = []int{3, 2} }, `other slots of "w" have [2 3]`},
		{"extra param", true, func(s *State) {
			s.Tensors = append(s.Tensors, Tensor{Name: "c/m", Shape: []int{1}, Data: []float32{0}}, Tensor{Name: "c/v", Shape: []int{1}, Data: []float32{0}})
		}, "holds 3 parameters, the optimizer 2"},
		{"renamed param", true, func(s *State) { s.Tensors[2].Name, s.Tensors[3].Name = "c/m", "c/v" }, `parameter "c", the optimizer has none`},
		{"reshaped param", true, func(s *State) { s.Tensors[0].Shape, s.Tensors[1].Shape = []int{3, 2}, []int{3, 2} }, `gives "w" shape [3 2], the optimizer has [2 3]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := mustNew(t, "adam", 0)
			run(t, src, twoParams(), 0, 3)
			s := src.State()
			c.change(&s)
			o := mustNew(t, "adam", 0)
			if c.stepped {
				run(t, o, twoParams(), 0, 1)
			}
			before := o.State()
			err := o.LoadState(s)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if !statesEqual(before, o.State()) {
				t.Error("failed LoadState changed the optimizer")
			}
		})
	}
}

// TestLoadStateBeforeStepMismatch checks that state loaded into a fresh
// optimizer is matched against the parameters of its first Step.
func TestLoadStateBeforeStepMismatch(t *testing.T) {
	cases := []struct {
		name   string
		change func(p []Param) []Param
		want   string
	}{
		{"fewer params", func(p []Param) []Param { return p[:1] }, "holds 2 parameters, Step got 1"},
		{"renamed", func(p []Param) []Param { p[1].Name = "c"; return p }, `parameter "b", Step has none`},
		{"reshaped", func(p []Param) []Param { p[0].Shape = []int{3, 2}; return p }, `gives "w" shape [2 3], Step gives [3 2]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := mustNew(t, "rmsprop", 0)
			run(t, src, twoParams(), 0, 2)
			o := mustNew(t, "rmsprop", 0)
			if err := o.LoadState(src.State()); err != nil {
				t.Fatal(err)
			}
			p := c.change(twoParams())
			err := o.Step(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if got := o.State(); !statesEqual(got, src.State()) {
				t.Error("failed Step lost the loaded state")
			}
		})
	}
}

func TestSGDStateHasNoTensors(t *testing.T) {
	o := mustNew(t, "sgd", 0)
	run(t, o, twoParams(), 0, 2)
	s := o.State()
	if s.Step != 2 || len(s.Tensors) != 0 {
		t.Fatalf("state %+v, want step 2 and no tensors", s)
	}
	s.Tensors = []Tensor{{Name: "w/momentum_buffer", Shape: []int{1}, Data: []float32{0}}}
	if err := o.LoadState(s); err == nil || !strings.Contains(err.Error(), `unknown slot "momentum_buffer"`) {
		t.Errorf("error %v, want unknown slot", err)
	}
}

func TestAdaGradInitialAccumulator(t *testing.T) {
	o, err := NewAdaGrad(AdaGradSettings{LearningRate: 0.1, InitialAccumulator: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	p := []Param{{Name: "x", Value: []float32{1}, Grad: []float32{0.5}}}
	if err := o.Step(p); err != nil {
		t.Fatal(err)
	}
	// sum = 0.5 + 0.25; x = 1 - 0.1*0.5/(sqrt(0.75)+1e-10) = 0.942264973.
	if s := o.State(); s.Tensors[0].Data[0] != 0.75 || !testutil.Close(float64(p[0].Value[0]), 0.942264973, 1e-7, 0) {
		t.Errorf("sum %g, x %.9g; want 0.75, 0.942264973", s.Tensors[0].Data[0], p[0].Value[0])
	}
}

func TestStepDoesNotAllocate(t *testing.T) {
	for _, name := range allKinds() {
		t.Run(name, func(t *testing.T) {
			o := mustNew(t, name, 0)
			p := twoParams()
			run(t, o, p, 0, 1)
			if n := testing.AllocsPerRun(20, func() { _ = o.Step(p) }); n != 0 {
				t.Errorf("Step allocates %g times per call", n)
			}
		})
	}
}

// TestConvergence minimises f(x) = sum a_i (x_i - c_i)^2 / 2 from x = 0.
func TestConvergence(t *testing.T) {
	a := []float32{1, 4, 0.5}
	c := []float32{3, -2, 1}
	cases := []struct {
		name  string
		make  func() (Optimizer, error)
		steps int
	}{
		{"sgd", func() (Optimizer, error) { return New("sgd", Common{LearningRate: 0.2}) }, 200},
		{"momentum", func() (Optimizer, error) { return New("momentum", Common{LearningRate: 0.05}) }, 300},
		{"nesterov", func() (Optimizer, error) { return New("nesterov", Common{LearningRate: 0.05}) }, 300},
		{"adam", func() (Optimizer, error) { return New("adam", Common{LearningRate: 0.05}) }, 600},
		{"adamw", func() (Optimizer, error) {
			return asOptimizer(NewAdamW(AdamWSettings{LearningRate: 0.05, WeightDecay: 1e-6}))
		}, 600},
		{"rmsprop", func() (Optimizer, error) { return New("rmsprop", Common{LearningRate: 0.01}) }, 600},
		{"adagrad", func() (Optimizer, error) { return New("adagrad", Common{LearningRate: 1}) }, 300},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.make()
			if err != nil {
				t.Fatal(err)
			}
			p := []Param{{Name: "x", Shape: []int{3}, Value: make([]float32, 3), Grad: make([]float32, 3)}}
			x, g := p[0].Value, p[0].Grad
			for range tc.steps {
				for i := range x {
					g[i] = a[i] * (x[i] - c[i])
				}
				if err := o.Step(p); err != nil {
					t.Fatal(err)
				}
			}
			for i := range x {
				if !testutil.Close(float64(x[i]), float64(c[i]), 0.01, 0) {
					t.Errorf("x = %v, want %v", x, c)
					break
				}
			}
		})
	}
}
