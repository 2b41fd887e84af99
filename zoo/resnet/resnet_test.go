package resnet_test

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/nn"
	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/resnet"
)

// The parameter count of ResNet-20 with projection shortcuts, worked out
// by hand: conv1 3*16*9 = 432; stage 1 six 16->16 3x3 convolutions,
// 13,824; stage 2 16*32*9 + 5*32*32*9 = 50,688 and a 16*32 projection;
// stage 3 32*64*9 + 5*64*64*9 = 202,752 and a 32*64 projection; 1 + 7 + 7
// + 7 batch norms of 16, 32 and 64 channels with gamma and beta, 32 + 192 +
// 448 + 896; the classifier 64*10 + 10. That is 272,474 (the paper's
// "0.27M"; PyTorch's count of scripts/resnet_torch.py's resnet20 agrees),
// plus 1,568 running statistics that are not trained.
func TestResNet20Size(t *testing.T) {
	for _, tc := range []struct {
		input     [3]int
		trainable int
	}{{[3]int{3, 32, 32}, 272474}, {[3]int{1, 28, 28}, 272474 - 2*16*9}} {
		m, err := resnet.New(resnet.ResNet20(tc.input, 10), rand.New(rand.NewPCG(1, 0)))
		if err != nil {
			t.Fatal(err)
		}
		trainable, frozen := 0, 0
		for _, p := range m.Params() {
			if p.Trainable {
				trainable += len(p.Data())
			} else {
				frozen += len(p.Data())
			}
		}
		if trainable != tc.trainable || frozen != 2*(16*7+32*7+64*7) {
			t.Errorf("%v: %d trainable and %d other values, want %d and %d", tc.input, trainable, frozen, tc.trainable, 2*(16*7+32*7+64*7))
		}
		convs, adds := 0, 0
		for _, l := range m.Layers() {
			switch l.(type) {
			case *nn.Conv2D:
				convs++
			case *nn.Add:
				adds++
			}
		}
		// 19 weighted 3x3 convolutions + the dense layer are the 20
		// layers; 2 projections besides.
		if convs != 21 || adds != 9 {
			t.Errorf("%d convolutions and %d adds, want 21 and 9", convs, adds)
		}
		if out := m.OutputShape(); len(out) != 1 || out[0] != 10 {
			t.Errorf("output shape %v", out)
		}
		shapes := map[string][]int{}
		for i, l := range m.Layers() {
			shapes[l.Name()] = m.LayerOutputShapes()[i]
		}
		h := tc.input[1]
		for name, want := range map[string][]int{"layer1.2.relu2": {16, h, h}, "layer2.0.downsample.1": {32, (h + 1) / 2, (h + 1) / 2}, "layer3.2.relu2": {64, ((h+1)/2 + 1) / 2, ((h+1)/2 + 1) / 2}, "avgpool": {64}} {
			if got := shapes[name]; !slices.Equal(got, want) {
				t.Errorf("%v: %s has shape %v, want %v", tc.input, name, got, want)
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  resnet.Config
		want string
	}{
		{resnet.Config{Depth: 21}, "6n+2"},
		{resnet.Config{Depth: 2000}, "6n+2"},
		{resnet.Config{Widths: [3]int{16, -1, 64}}, "stage 2 width"},
		{resnet.Config{Classes: 1}, "classes"},
		{resnet.Config{InputShape: [3]int{1, 2, 2}}, "at least 4x4"},
		{resnet.Config{InputShape: [3]int{1, 1 << 20, 8}}, "dimension 2"},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.cfg, err, tc.want)
		}
	}
	if err := (resnet.Config{}).Validate(); err != nil {
		t.Errorf("the zero config (ResNet-20 for CIFAR-10): %v", err)
	}
}

// A ResNet is an ordinary graph model: it saves as kind "graph" with its
// name, loads, and summarises with what each layer reads.
func TestResNetSavesAsGraph(t *testing.T) {
	m, err := resnet.New(resnet.ResNet20([3]int{1, 28, 28}, 10), rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "resnet20.safetensors")
	if err := zoo.Save(path, m, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err := zoo.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind() != nn.GraphKind || len(got.Params()) != len(m.Params()) {
		t.Fatalf("loaded a %s with %d params", got.Kind(), len(got.Params()))
	}
	s, err := zoo.Summarize(got)
	if err != nil {
		t.Fatal(err)
	}
	table := s.String()
	for _, want := range []string{"Model: graph (resnet20)", "Connected to", "layer2.0.add", "layer2.0.bn2, layer2.0.downsample.1", "Trainable params: 272,186"} {
		if !strings.Contains(table, want) {
			t.Errorf("summary lacks %q:\n%s", want, table)
		}
	}
}
