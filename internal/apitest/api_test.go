// Package apitest checks the promise that no panic crosses gozoo's public
// API: bad arguments to the exported constructors and methods of nn,
// optim, recipes, zoo, predict and modelcard are errors.
package apitest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/predict"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/mlp"
)

var nan = math.NaN()

// rows is a small classified dataset of any input width.
type rows struct{ n, width, classes int }

func (r rows) Len() int          { return r.n }
func (r rows) InputShape() []int { return []int{r.width} }
func (r rows) Input(i int, dst []float32) {
	for j := range dst {
		dst[j] = float32(i%3) - float32(j%2)
	}
}
func (r rows) Classes() int    { return r.classes }
func (r rows) Label(i int) int { return i % r.classes }

// fixture is a small valid model, card, trainer and predictor that the
// cases misuse.
type fixture struct {
	rng     *rand.Rand
	model   *mlp.Model
	card    *modelcard.Card
	trainer *recipes.Trainer
	pred    *predict.Predictor
	file    string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{rng: rand.New(rand.NewPCG(1, 2))}
	var err error
	if f.model, err = mlp.New(mlp.Config{Inputs: 4, Hidden: []int{5}, Outputs: 3}, f.rng); err != nil {
		t.Fatal(err)
	}
	f.card = &modelcard.Card{Dataset: modelcard.MNISTDataset, Shape: []int{4}, ClassNames: []string{"a", "b", "c"}, Mean: []float32{0}, Std: []float32{1}}
	opt, err := optim.New("adam", optim.Common{LearningRate: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	if f.trainer, err = recipes.NewTrainer(f.model, nn.SoftmaxCrossEntropy{}, opt, 1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.trainer.Close() })
	if f.pred, err = predict.New(f.model, f.card, predict.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.pred.Close() })
	f.file = filepath.Join(t.TempDir(), "m.safetensors")
	if err := zoo.Save(f.file, f.model, f.card); err != nil {
		t.Fatal(err)
	}
	return f
}

// call runs f, turning a panic into a test failure with its stack.
func call(t *testing.T, name string, f func() error) {
	t.Helper()
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s panicked: %v\n%s", name, r, debug.Stack())
				err = fmt.Errorf("panic")
			}
		}()
		err = f()
	}()
	if err == nil {
		t.Errorf("%s: no error", name)
	}
}

func errOf[T any](_ T, err error) error { return err }

func errOf3[T, U any](_ T, _ U, err error) error { return err }

func TestNoPanicAcrossTheAPI(t *testing.T) {
	fx := newFixture(t)
	rng := fx.rng
	ctx := context.Background()
	good := rows{n: 10, width: 4, classes: 3}
	cases := map[string]map[string]func() error{
		"nn": {
			"NewDense zero inputs":      func() error { return errOf(nn.NewDense("d", 0, 3, nn.GlorotUniform, rng)) },
			"NewDense negative outputs": func() error { return errOf(nn.NewDense("d", 3, -1, nn.GlorotUniform, rng)) },
			"NewDense nil initializer":  func() error { return errOf(nn.NewDense("d", 3, 2, nil, rng)) },
			"NewDense nil source":       func() error { return errOf(nn.NewDense("d", 3, 2, nn.GlorotUniform, nil)) },
			"NewConv2D zero kernel": func() error {
				return errOf(nn.NewConv2D("c", 1, 1, [2]int{0, 3}, nn.Pair(1), nn.Pair(0), true, nn.HeUniform, rng))
			},
			"NewConv2D negative stride": func() error {
				return errOf(nn.NewConv2D("c", 1, 1, nn.Pair(3), nn.Pair(-1), nn.Pair(0), true, nn.HeUniform, rng))
			},
			"NewConv2D nil source": func() error {
				return errOf(nn.NewConv2D("c", 1, 1, nn.Pair(3), nn.Pair(1), nn.Pair(0), true, nn.HeUniform, nil))
			},
			"NewMaxPool2D zero kernel":   func() error { return errOf(nn.NewMaxPool2D("p", nn.Pair(0), nn.Pair(1), nn.Pair(0))) },
			"NewAvgPool2D negative pad":  func() error { return errOf(nn.NewAvgPool2D("p", nn.Pair(2), nn.Pair(2), nn.Pair(-1))) },
			"NewDropout NaN":             func() error { return errOf(nn.NewDropout("d", nan)) },
			"NewDropout 1":               func() error { return errOf(nn.NewDropout("d", 1)) },
			"NewDropout negative":        func() error { return errOf(nn.NewDropout("d", -0.1)) },
			"NewBatchNorm1D zero":        func() error { return errOf(nn.NewBatchNorm1D("b", 0)) },
			"NewBatchNorm2D negative":    func() error { return errOf(nn.NewBatchNorm2D("b", -2)) },
			"NewActivation unknown":      func() error { return errOf(nn.NewActivation("a", "gelu-ish")) },
			"NewSequential no input":     func() error { return errOf(nn.NewSequential(nil)) },
			"NewSequential nil layer":    func() error { return errOf(nn.NewSequential([]int{4}, nil)) },
			"NewSequential negative dim": func() error { return errOf(nn.NewSequential([]int{-4}, nn.NewFlatten("f"))) },
			"NewSequential mismatched": func() error {
				d, _ := nn.NewDense("d", 5, 2, nn.GlorotUniform, rng)
				return errOf(nn.NewSequential([]int{4}, d))
			},
			"NewParam no shape":       func() error { return errOf(nn.NewParam("p", true)) },
			"NewParam negative shape": func() error { return errOf(nn.NewParam("p", true, 3, -1)) },
			"Builder nil source":      func() error { return errOf(nn.NewBuilder([]int{4}, nil).Dense("d", 3).Build()) },
			"Builder no input":        func() error { return errOf(nn.NewBuilder(nil, rng).Dense("d", 3).Build()) },
			"Builder zero width":      func() error { return errOf(nn.NewBuilder([]int{4}, rng).Dense("d", 0).Build()) },
			"InitializerByName":       func() error { return errOf(nn.InitializerByName("lecun-ish")) },
			"FromArchitecture empty":  func() error { return errOf(nn.FromArchitecture(nn.Architecture{}, rng)) },
			"FromArchitecture nil source": func() error {
				return errOf(nn.FromArchitecture(nn.Architecture{InputShape: []int{4}, Layers: []nn.LayerSpec{{Type: "Flatten", Name: "f"}}}, nil))
			},
			"NewLayer empty spec":   func() error { return errOf(nn.NewLayer(nn.LayerSpec{}, rng)) },
			"NewLayer unknown type": func() error { return errOf(nn.NewLayer(nn.LayerSpec{Type: "Lambda", Name: "x"}, rng)) },
			"NewLayer bad config": func() error {
				return errOf(nn.NewLayer(nn.LayerSpec{Type: "Dense", Name: "x", Config: []byte(`{"inputs":-1}`)}, rng))
			},
			"Compile nil model":          func() error { return errOf(nn.Compile(nil, nn.Training, 4, nn.MSE{})) },
			"Compile zero batch":         func() error { return errOf(nn.Compile(fx.model, nn.Evaluation, 0, nil)) },
			"Compile training no loss":   func() error { return errOf(nn.Compile(fx.model, nn.Training, 4, nil)) },
			"Compile unknown mode":       func() error { return errOf(nn.Compile(fx.model, nn.Mode(9), 4, nil)) },
			"Compile mismatched loss":    func() error { return errOf(nn.Compile(fx.model, nn.Training, 4, nn.DistillationLoss{})) },
			"CheckUniqueNames duplicate": func() error { return nn.CheckUniqueNames(append(fx.model.Params(), fx.model.Params()[0])) },
			"Architecture of huge layers": func() error {
				return errOf((nn.Architecture{Layers: make([]nn.LayerSpec, nn.MaxLayers+1)}).ParamCount())
			},
		},
		"optim": {
			"New unknown":          func() error { return errOf(optim.New("lion", optim.Common{LearningRate: 0.1})) },
			"New NaN rate":         func() error { return errOf(optim.New("adam", optim.Common{LearningRate: nan})) },
			"New negative rate":    func() error { return errOf(optim.New("momentum", optim.Common{LearningRate: -1})) },
			"New infinite rate":    func() error { return errOf(optim.New("rmsprop", optim.Common{LearningRate: math.Inf(1)})) },
			"New NaN weight decay": func() error { return errOf(optim.New("adamw", optim.Common{LearningRate: 0.1, WeightDecay: nan})) },
			"NewAdam bad epsilon":  func() error { return errOf(optim.NewAdam(optim.AdamSettings{LearningRate: 0.1, Epsilon: -1})) },
			"NewAdaGrad NaN accumulator": func() error {
				return errOf(optim.NewAdaGrad(optim.AdaGradSettings{LearningRate: 0.1, InitialAccumulator: nan}))
			},
			"NewSGD negative": func() error { return errOf(optim.NewSGD(optim.SGDSettings{LearningRate: -1})) },
			"Step mismatched gradient": func() error {
				o, _ := optim.New("adam", optim.Common{LearningRate: 0.1})
				return o.Step([]optim.Param{{Name: "w", Shape: []int{3}, Value: make([]float32, 3), Grad: make([]float32, 2)}})
			},
			"Step mismatched shape": func() error {
				o, _ := optim.New("sgd", optim.Common{LearningRate: 0.1})
				return o.Step([]optim.Param{{Name: "w", Shape: []int{4}, Value: make([]float32, 3), Grad: make([]float32, 3)}})
			},
			"LoadState other kind": func() error {
				o, _ := optim.New("adam", optim.Common{LearningRate: 0.1})
				return o.LoadState(optim.State{Kind: "sgd"})
			},
			"ConfigOf nil":            func() error { return errOf(optim.ConfigOf(nil)) },
			"FromConfig empty":        func() error { return errOf(optim.FromConfig(optim.Config{})) },
			"BaseLearningRate nil":    func() error { return errOf(optim.BaseLearningRate(nil)) },
			"CosineWarmup zero total": func() error { return optim.CosineWarmup{Base: 0.1}.Validate() },
			"StepDecay NaN gamma":     func() error { return optim.StepDecay{Base: 0.1, StepSize: 1, Gamma: nan}.Validate() },
			"ReduceOnPlateau NaN":     func() error { return (&optim.ReduceOnPlateau{Factor: nan, Patience: 1}).Validate() },
			"ClipGlobalNorm mismatched": func() error {
				optim.ClipGlobalNorm([]optim.Param{{Value: make([]float32, 3), Grad: []float32{float32(nan), 1}}}, nan)
				optim.ClipValue([]optim.Param{{Grad: []float32{float32(nan)}}}, -1)
				return fmt.Errorf("no error to return: passes if nothing panicked")
			},
		},
		"recipes": {
			"NewTrainer nil model": func() error {
				return errOf(recipes.NewTrainer(nil, nn.MSE{}, fx.trainer.Optimizer, 1))
			},
			"NewTrainer nil optimizer": func() error { return errOf(recipes.NewTrainer(fx.model, nn.MSE{}, nil, 1)) },
			"zero Trainer Fit": func() error {
				return errOf((&recipes.Trainer{}).Fit(ctx, good, recipes.FitOptions{Epochs: 1, BatchSize: 2}))
			},
			"zero Trainer Evaluate": func() error { return errOf((&recipes.Trainer{}).Evaluate(ctx, good, 2)) },
			"zero Trainer Predict":  func() error { return errOf((&recipes.Trainer{}).Predict(ctx, good, 2)) },
			"zero Trainer checkpoint": func() error {
				return (&recipes.Trainer{}).SaveCheckpoint(filepath.Join(t.TempDir(), "c"), nil, nil)
			},
			"Fit nil context": func() error {
				//lint:ignore SA1012 a nil context is the point
				return errOf(fx.trainer.Fit(nil, good, recipes.FitOptions{Epochs: 1, BatchSize: 2})) //nolint:staticcheck
			},
			"Fit nil data": func() error { return errOf(fx.trainer.Fit(ctx, nil, recipes.FitOptions{Epochs: 1, BatchSize: 2})) },
			"Fit wrong width": func() error {
				return errOf(fx.trainer.Fit(ctx, rows{10, 5, 3}, recipes.FitOptions{Epochs: 1, BatchSize: 2}))
			},
			"Fit wrong classes": func() error {
				return errOf(fx.trainer.Fit(ctx, rows{10, 4, 7}, recipes.FitOptions{Epochs: 1, BatchSize: 2}))
			},
			"Fit zero epochs":    func() error { return errOf(fx.trainer.Fit(ctx, good, recipes.FitOptions{BatchSize: 2})) },
			"Fit negative batch": func() error { return errOf(fx.trainer.Fit(ctx, good, recipes.FitOptions{Epochs: 1, BatchSize: -2})) },
			"Fit NaN clip": func() error {
				return errOf(fx.trainer.Fit(ctx, good, recipes.FitOptions{Epochs: 1, BatchSize: 2, ClipNorm: nan}))
			},
			"Fit NaN max loss": func() error {
				return errOf(fx.trainer.Fit(ctx, good, recipes.FitOptions{Epochs: 1, BatchSize: 2, MaxLoss: nan}))
			},
			"Fit nil callback": func() error {
				return errOf(fx.trainer.Fit(ctx, good, recipes.FitOptions{Epochs: 1, BatchSize: 2, Callbacks: []recipes.Callback{nil}}))
			},
			"Fit bad validation": func() error {
				return errOf(fx.trainer.Fit(ctx, good, recipes.FitOptions{Epochs: 1, BatchSize: 2, Validation: rows{3, 2, 3}}))
			},
			"zero Trainer TrainOnBatch": func() error { return errOf((&recipes.Trainer{}).TrainOnBatch(good, []int{0})) },
			"TrainOnBatch nil data":     func() error { return errOf(fx.trainer.TrainOnBatch(nil, []int{0})) },
			"TrainOnBatch wrong width":  func() error { return errOf(fx.trainer.TrainOnBatch(rows{10, 5, 3}, []int{0})) },
			"TrainOnBatch no indices":   func() error { return errOf(fx.trainer.TrainOnBatch(good, nil)) },
			"TrainOnBatch bad index":    func() error { return errOf(fx.trainer.TrainOnBatch(good, []int{0, 1 << 40})) },
			"Evaluate zero batch":       func() error { return errOf(fx.trainer.Evaluate(ctx, good, 0)) },
			"Evaluate empty data":       func() error { return errOf(fx.trainer.Evaluate(ctx, rows{0, 4, 3}, 2)) },
			"Predict huge batch":        func() error { return errOf(fx.trainer.Predict(ctx, good, 1<<40)) },
			"Evaluate nil model":        func() error { return errOf(recipes.Evaluate(ctx, nil, nn.MSE{}, good, 2)) },
			"Predict nil data":          func() error { return errOf(recipes.Predict(ctx, fx.model, nil, 2)) },
			"EvaluateReport nil card": func() error {
				return errOf(recipes.EvaluateReport(ctx, fx.model, nil, good, 2))
			},
			"EvaluateReport wrong class names": func() error {
				c := *fx.card
				c.ClassNames = []string{"a", "b", "c", "d"}
				return errOf(recipes.EvaluateReport(ctx, fx.model, &c, good, 2))
			},
			"RegressionMetrics unscaled": func() error { return errOf(fx.trainer.RegressionMetrics(ctx, good, 2)) },
			"LoadCheckpoint missing":     func() error { return errOf(recipes.LoadCheckpoint(filepath.Join(t.TempDir(), "none"))) },
			"LoadCheckpoint model file":  func() error { return errOf(recipes.LoadCheckpoint(fx.file)) },
			"nil Checkpoint Trainer":     func() error { return errOf((*recipes.Checkpoint)(nil).Trainer(nn.MSE{})) },
			"empty Checkpoint Trainer":   func() error { return errOf((&recipes.Checkpoint{}).Trainer(nn.MSE{})) },
			"RestoreCallbacks nil":       func() error { return (&recipes.Checkpoint{}).RestoreCallbacks([]recipes.Callback{nil}) },
			"ModelCheckpoint empty":      func() error { return (&recipes.ModelCheckpoint{}).Validate() },
			"EarlyStopping NaN delta":    func() error { return (&recipes.EarlyStopping{MinDelta: nan}).Validate() },
			"LRScheduler no schedule":    func() error { return (&recipes.LRScheduler{}).Validate() },
			"HistoryLogger no paths":     func() error { return (&recipes.HistoryLogger{}).Validate() },
			"ParseMetric unknown":        func() error { return errOf(recipes.ParseMetric("val_f1")) },
		},
		"zoo": {
			"New unknown kind":      func() error { return errOf(zoo.New("resnet", nil, rng)) },
			"New broken config":     func() error { return errOf(zoo.New("mlp", []byte("{"), rng)) },
			"New negative inputs":   func() error { return errOf(zoo.New("mlp", []byte(`{"inputs":-1,"outputs":2}`), rng)) },
			"New nil source":        func() error { return errOf(zoo.New("mlp", []byte(`{"inputs":2,"outputs":2}`), nil)) },
			"New vgg NaN dropout":   func() error { return errOf(zoo.New("cifar-vgg", []byte(`{"dropout":1e999}`), rng)) },
			"New lenet tiny input":  func() error { return errOf(zoo.New("lenet5", []byte(`{"input_shape":[1,4,4]}`), rng)) },
			"ParamCount nil config": func() error { return errOf(zoo.ParamCount("mlp", nil)) },
			"File nil model":        func() error { return errOf(zoo.File(nil, nil, nil)) },
			"File mismatched card": func() error {
				return errOf(zoo.File(fx.model, &modelcard.Card{Dataset: "mnist", Shape: []int{5}}, nil))
			},
			"File wrong class names": func() error {
				c := *fx.card
				c.ClassNames = []string{"a"}
				return errOf(zoo.File(fx.model, &c, nil))
			},
			"Save nil model":          func() error { return zoo.Save(filepath.Join(t.TempDir(), "m"), nil, nil) },
			"Save into no folder":     func() error { return zoo.Save(filepath.Join(t.TempDir(), "no", "m"), fx.model, nil) },
			"Load missing":            func() error { return errOf3(zoo.Load(filepath.Join(t.TempDir(), "none"))) },
			"FromFile nil":            func() error { return errOf3(zoo.FromFile(nil)) },
			"FromFile empty":          func() error { return errOf3(zoo.FromFile(&modelfile.File{})) },
			"SetWeights nil model":    func() error { return zoo.SetWeights(nil, &modelfile.File{}) },
			"SetWeights nil file":     func() error { return zoo.SetWeights(fx.model, nil) },
			"LoadWeights nil model":   func() error { return zoo.LoadWeights(fx.file, nil) },
			"PresetNamed unknown":     func() error { return errOf(zoo.PresetNamed("resnet")) },
			"TableModel nil card":     func() error { return errOf(zoo.TableModel(nil, nil, rng)) },
			"TableModel nil source":   func() error { return errOf(zoo.TableModel(fx.card, []int{3}, nil)) },
			"Summarize nil model":     func() error { return errOf(zoo.Summarize(nil)) },
			"Preset Build nil source": func() error { p, _ := zoo.PresetNamed("mlp"); return errOf(p.Build(nil)) },
		},
		"predict": {
			"New nil model":      func() error { return errOf(predict.New(nil, fx.card, predict.Options{})) },
			"New nil card":       func() error { return errOf(predict.New(fx.model, nil, predict.Options{})) },
			"New negative batch": func() error { return errOf(predict.New(fx.model, fx.card, predict.Options{MaxBatch: -1})) },
			"New wrong class names": func() error {
				c := *fx.card
				c.ClassNames = []string{"a", "b"}
				return errOf(predict.New(fx.model, &c, predict.Options{}))
			},
			"Load missing":          func() error { return errOf(predict.Load(filepath.Join(t.TempDir(), "none"))) },
			"Predict nil context":   func() error { return errOf(fx.pred.Predict(nil, make([]float32, 4))) }, //nolint:staticcheck
			"Predict nil rows":      func() error { return errOf(fx.pred.Predict(ctx, nil)) },
			"Predict ragged rows":   func() error { return errOf(fx.pred.Predict(ctx, make([]float32, 7))) },
			"Values of classifier":  func() error { return errOf(fx.pred.Values(ctx, make([]float32, 4))) },
			"Classify nil image":    func() error { return errOf(fx.pred.Classify(ctx, nil, predict.ClassifyOptions{})) },
			"ClassifyInputs top -1": func() error { return errOf(fx.pred.ClassifyInputs(ctx, make([]float32, 4), -1)) },
			"Predict after Close": func() error {
				p, err := predict.New(fx.model, fx.card, predict.Options{})
				if err != nil {
					return nil
				}
				p.Close()
				return errOf(p.Predict(ctx, make([]float32, 4)))
			},
		},
		"modelcard": {
			"Table empty":     func() error { return errOf(modelcard.Table(modelcard.TableSource{})) },
			"Table NaN split": func() error { return errOf(modelcard.Table(modelcard.TableSource{CSV: "iris", Split: nan})) },
			"Table NaN val split": func() error {
				return errOf(modelcard.Table(modelcard.TableSource{CSV: "iris", Split: 0.2, ValSplit: nan}))
			},
			"CIFAR10 missing":     func() error { return errOf(modelcard.CIFAR10(filepath.Join(t.TempDir(), "none"))) },
			"MNIST nil shape":     func() error { return modelcard.MNIST(nil).Validate() },
			"empty card Validate": func() error { return (&modelcard.Card{}).Validate() },
			"nil card Validate":   func() error { return (*modelcard.Card)(nil).Validate() },
			"nil card CheckModel": func() error { return (*modelcard.Card)(nil).CheckModel([]int{4}, 3) },
			"CheckModel wrong names": func() error {
				return fx.card.CheckModel([]int{4}, 2)
			},
			"CheckModel negative outputs": func() error { return fx.card.CheckModel([]int{4}, -1) },
			"empty card ImageLayout":      func() error { return errOf((&modelcard.Card{}).ImageLayout()) },
			"empty card Data":             func() error { return errOf((&modelcard.Card{}).Data("")) },
			"nil card Data":               func() error { return errOf((*modelcard.Card)(nil).Data("")) },
			"Row of an image card":        func() error { return errOf(fx.card.Row([]float64{1, 2, 3, 4})) },
			"FromMetadata broken":         func() error { return errOf3(modelcard.FromMetadata(map[string]string{"input": "{"})) },
		},
	}
	for pkg, fns := range cases {
		t.Run(pkg, func(t *testing.T) {
			for name, f := range fns {
				call(t, name, f)
			}
		})
	}
	// The fixture still works: no case broke it.
	if _, err := fx.trainer.Fit(ctx, good, recipes.FitOptions{Epochs: 1, BatchSize: 4}); err != nil {
		t.Errorf("the trainer no longer fits: %v", err)
	}
	var _ loader.Dataset = good
}
