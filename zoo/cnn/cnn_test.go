package cnn

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/nn"
)

// zooModel is zoo.Model, which both models satisfy (zoo is not imported
// here: it imports the models).
type zooModel interface {
	nn.Model
	Kind() string
	ConfigJSON() ([]byte, error)
}

var (
	_ zooModel = (*LeNet5)(nil)
	_ zooModel = (*VGG)(nil)
)

// checkArchitecture checks a model's flatten size, output size, and its
// numbers of trainable and non-trainable parameter values.
func checkArchitecture(t *testing.T, s *nn.Sequential, flat, outputs, params, state int) {
	t.Helper()
	var flatShape []int
	for i, l := range s.Layers() {
		if l.Name() == "flatten" {
			flatShape = s.LayerOutputShapes()[i]
		}
	}
	if !reflect.DeepEqual(flatShape, []int{flat}) {
		t.Errorf("flatten output %v, want [%d]", flatShape, flat)
	}
	if got := s.OutputShape(); !reflect.DeepEqual(got, []int{outputs}) {
		t.Errorf("output shape %v, want [%d]", got, outputs)
	}
	var gotParams, gotState int
	for _, p := range s.Params() {
		if p.Trainable {
			gotParams += len(p.Data())
		} else {
			gotState += len(p.Data())
		}
	}
	if gotParams != params || gotState != state {
		t.Errorf("%d trainable and %d state values, want %d and %d", gotParams, gotState, params, state)
	}
}

// trainingProgram compiles m for training and fills its input with uniform
// [0, 1) pixels and its targets with random one-hot labels, from a fixed seed.
func trainingProgram(tb testing.TB, m nn.Model, batch int) *nn.Program {
	tb.Helper()
	p, err := nn.Compile(m, nn.Training, batch, nn.SoftmaxCrossEntropy{})
	if err != nil {
		tb.Fatal(err)
	}
	data := rand.New(rand.NewPCG(7, 8))
	for i := range p.Input() {
		p.Input()[i] = data.Float32()
	}
	k := p.OutputSize()
	for i := 0; i < batch; i++ {
		p.Target()[i*k+data.IntN(k)] = 1
	}
	return p
}

func TestLeNet5(t *testing.T) {
	// Parameter counts worked by hand: conv1 6*c*25+6, conv2 16*6*25+16,
	// dense1 flat*120+120, dense2 120*84+84, dense3 84*k+k.
	tests := []struct {
		name    string
		cfg     LeNet5Config
		flat    int
		outputs int
		params  int
	}{
		{"defaults (MNIST)", LeNet5Config{}, 400, 10, 156 + 2416 + 48120 + 10164 + 850},
		{"3 classes", LeNet5Config{Classes: 3}, 400, 3, 156 + 2416 + 48120 + 10164 + 84*3 + 3},
		// 32 -> conv1 32 -> pool 16 -> conv2 12 -> pool 6: 16*6*6 = 576.
		{"CIFAR-sized input", LeNet5Config{InputShape: [3]int{3, 32, 32}}, 576, 10, 456 + 2416 + 576*120 + 120 + 10164 + 850},
		// 12 is the smallest side that fits: 12 -> 12 -> 6 -> 2 -> 1.
		{"smallest input", LeNet5Config{InputShape: [3]int{1, 12, 13}}, 16, 10, 156 + 2416 + 16*120 + 120 + 10164 + 850},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewLeNet5(tc.cfg, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			checkArchitecture(t, m.Sequential, tc.flat, tc.outputs, tc.params, 0)
			if m.Kind() != "lenet5" {
				t.Errorf("kind %q", m.Kind())
			}
		})
	}
}

func TestVGG(t *testing.T) {
	// Trainable counts worked by hand for 3x32x32 and Hidden 256: the convs
	// of a block of c channels after one of p take 9*p*c + 9*c*c, its two
	// batchnorms 4c (gamma, beta) and 4c of state (running mean and var).
	conv := func(chs ...int) (n, state int) {
		prev := 3
		for _, c := range chs {
			n += 9*prev*c + 9*c*c + 4*c
			state += 4 * c
			prev = c
		}
		return n, state
	}
	def, defState := conv(32, 64, 128)
	two, twoState := conv(16, 32)
	tests := []struct {
		name          string
		cfg           VGGConfig
		flat, outputs int
		params, state int
	}{
		{"defaults (CIFAR-10)", VGGConfig{}, 128 * 4 * 4, 10, def + 2048*256 + 256 + 256*10 + 10, defState},
		{"two blocks", VGGConfig{Channels: []int{16, 32}}, 32 * 8 * 8, 10, two + 2048*256 + 256 + 2570, twoState},
		{"3 classes, hidden 64", VGGConfig{Classes: 3, Hidden: 64}, 2048, 3, def + 2048*64 + 64 + 64*3 + 3, defState},
		{"grey 16x24 input", VGGConfig{InputShape: [3]int{1, 16, 24}, Channels: []int{8}}, 8 * 8 * 12, 10,
			9*8 + 9*64 + 32 + 768*256 + 256 + 2570, 32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewVGG(tc.cfg, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			checkArchitecture(t, m.Sequential, tc.flat, tc.outputs, tc.params, tc.state)
			if m.Kind() != "cifar-vgg" {
				t.Errorf("kind %q", m.Kind())
			}
		})
	}
}

func TestConfigJSONHoldsDefaults(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lenet, _ := NewLeNet5(LeNet5Config{}, rng)
	vgg, _ := NewVGG(VGGConfig{Dropout: new(0.0)}, rng)
	for _, tc := range []struct {
		name string
		json func() ([]byte, error)
		want string
	}{
		{"lenet5", lenet.ConfigJSON, `{"input_shape":[1,28,28],"classes":10,"init":"glorot_uniform"}`},
		{"vgg", vgg.ConfigJSON, `{"input_shape":[3,32,32],"classes":10,"channels":[32,64,128],"dropout":0,"hidden":256}`},
	} {
		got, err := tc.json()
		if err != nil || string(got) != tc.want {
			t.Errorf("%s config JSON = %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
	// A saved config rebuilds the same architecture.
	var cfg VGGConfig
	data, _ := vgg.ConfigJSON()
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, vgg.Config) {
		t.Errorf("round trip gave %+v, want %+v", cfg, vgg.Config)
	}
}

func TestBadConfigs(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"lenet negative classes", LeNet5Config{Classes: -1}.Validate(), "cnn: lenet5: classes must be positive, got -1"},
		{"lenet input too small", LeNet5Config{InputShape: [3]int{1, 11, 28}}.Validate(),
			"cnn: lenet5: input shape [1 11 28] is too small: pool2 (kernel 2, padding 0) gets 1x10"},
		{"lenet input 1x1", LeNet5Config{InputShape: [3]int{1, 1, 1}}.Validate(), "cnn: lenet5: input shape [1 1 1] is too small: pool1"},
		{"lenet zero channels", LeNet5Config{InputShape: [3]int{0, 28, 28}}.Validate(), "must be [channels, height, width] with positive sizes"},
		{"vgg negative classes", VGGConfig{Classes: -2}.Validate(), "cnn: cifar-vgg: classes must be positive, got -2"},
		{"vgg input too small for 3 pools", VGGConfig{InputShape: [3]int{3, 7, 32}}.Validate(),
			"cnn: cifar-vgg: input shape [3 7 32] is too small: block3_pool (kernel 2, padding 0) gets 1x8"},
		{"vgg dropout 1", VGGConfig{Dropout: new(1.0)}.Validate(), "cnn: cifar-vgg: dropout must be in [0, 1), got 1"},
		{"vgg negative dropout", VGGConfig{Dropout: new(-0.1)}.Validate(), "dropout must be in [0, 1)"},
		{"vgg empty channels", VGGConfig{Channels: []int{}}.Validate(), "needs at least one block"},
		{"vgg zero channel block", VGGConfig{Channels: []int{32, 0}}.Validate(), "block 2 must have a positive channel count, got 0"},
		{"vgg negative hidden", VGGConfig{Hidden: -1}.Validate(), "hidden must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", tc.err, tc.want)
			}
		})
	}
	// The constructors refuse what Validate refuses, without panicking.
	if _, err := NewLeNet5(LeNet5Config{InputShape: [3]int{1, 8, 8}}, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("NewLeNet5 accepted an 8x8 input")
	}
	if _, err := NewVGG(VGGConfig{Dropout: new(1.0)}, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("NewVGG accepted dropout 1")
	}
}

// trainingLoss builds a small VGG from cfg with fixed weights, runs one
// training step on a fixed batch with a fixed dropout source, and returns
// the loss.
func trainingLoss(t *testing.T, cfg VGGConfig) float64 {
	t.Helper()
	m, err := NewVGG(cfg, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	p := trainingProgram(t, m, 4)
	defer p.Close()
	if err := p.Run(rand.New(rand.NewPCG(9, 10))); err != nil {
		t.Fatal(err)
	}
	return p.Loss()
}

func TestVGGDropoutChangesTraining(t *testing.T) {
	small := VGGConfig{InputShape: [3]int{3, 8, 8}, Channels: []int{4, 8}, Hidden: 32}
	loss := map[float64]float64{}
	for _, rate := range []float64{0, 0.5} {
		cfg := small
		cfg.Dropout = new(rate)
		loss[rate] = trainingLoss(t, cfg)
		if again := trainingLoss(t, cfg); again != loss[rate] {
			t.Fatalf("dropout %v: the same seeds gave losses %v and %v", rate, loss[rate], again)
		}
	}
	if loss[0] == loss[0.5] {
		t.Errorf("dropout 0 and 0.5 gave the same training loss %v", loss[0])
	}
}
