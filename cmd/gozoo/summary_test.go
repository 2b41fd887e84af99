package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/zoo"
	"github.com/gozoo/gozoo/zoo/cnn"
)

func TestSummaryArch(t *testing.T) {
	tests := []struct {
		arch   string
		layers int
		// Parameter counts by hand: weights plus biases of each layer.
		total, nonTrainable int
	}{
		// 784*128+128 + 128*64+64 + 64*10+10.
		{"mlp", 5, 109386, 0},
		{"mlp-paddle", 5, 109386, 0},
		// 784*1024+1024 + 1024*64+64 + 64*10+10.
		{"mlp-mindspore", 5, 870090, 0},
		// conv 6*1*5*5+6, conv 16*6*5*5+16, 400*120+120, 120*84+84, 84*10+10.
		{"lenet5", 12, 61706, 0},
		// Bias-free 3x3 convolutions 3->32->32->64->64->128->128, four
		// values per BatchNorm channel (gamma, beta, running mean and
		// variance; the last two not trainable), 2048*256+256, 256*10+10.
		{"cifar-vgg", 3*7 + 5, 3*32*9 + 32*32*9 + 32*64*9 + 64*64*9 + 64*128*9 + 128*128*9 +
			4*2*(32+64+128) + 2048*256 + 256 + 256*10 + 10, 2 * 2 * (32 + 64 + 128)},
	}
	for _, tc := range tests {
		t.Run(tc.arch, func(t *testing.T) {
			stdout, stderr, code := runGozoo(t, "summary", "-arch", tc.arch, "-json")
			if code != 0 {
				t.Fatalf("status %d: %s", code, stderr)
			}
			var s zoo.Summary
			if err := json.Unmarshal([]byte(stdout), &s); err != nil {
				t.Fatal(err)
			}
			if len(s.Layers) != tc.layers || s.TotalParams != tc.total || s.NonTrainableParams != tc.nonTrainable ||
				s.TrainableParams != tc.total-tc.nonTrainable {
				t.Errorf("%d layers, params %d total, %d trainable, %d not; want %d layers, %d total, %d not",
					len(s.Layers), s.TotalParams, s.TrainableParams, s.NonTrainableParams, tc.layers, tc.total, tc.nonTrainable)
			}
			sum := 0
			for _, l := range s.Layers {
				sum += l.Params
				if l.OutputShape[0] != -1 {
					t.Errorf("layer %s output shape %v lacks the batch dimension", l.Name, l.OutputShape)
				}
			}
			if sum != s.TotalParams {
				t.Errorf("layer params add up to %d, total says %d", sum, s.TotalParams)
			}

			text, stderr, code := runGozoo(t, "summary", "-arch", tc.arch)
			if code != 0 {
				t.Fatalf("status %d: %s", code, stderr)
			}
			if !strings.Contains(text, "Total params: "+commas(tc.total)+"\n") ||
				!strings.Contains(text, "Non-trainable params: "+commas(tc.nonTrainable)+"\n") ||
				!strings.Contains(text, "Model: "+s.Kind+"\n") || !strings.Contains(text, "Config: {") {
				t.Errorf("summary lacks totals, kind or config:\n%s", text)
			}
			if rows := tableRows(text); len(rows) != tc.layers {
				t.Errorf("table has %d rows, want %d:\n%s", len(rows), tc.layers, text)
			}
		})
	}
}

// tableRows returns the lines between the second and third rule of a
// summary: one per layer.
func tableRows(text string) []string {
	var rows []string
	rules := 0
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "===") {
			rules++
			continue
		}
		if rules == 2 {
			rows = append(rows, line)
		}
	}
	return rows
}

func TestSummaryText(t *testing.T) {
	stdout, _, _ := runGozoo(t, "summary", "-arch", "mlp-paddle")
	rows := tableRows(stdout)
	want := [][]string{
		{"dense1", "Dense", "[-1, 128]", "100,480"},
		{"relu1", "ReLU", "[-1, 128]", "0"},
		{"dense2", "Dense", "[-1, 64]", "8,256"},
		{"relu2", "ReLU", "[-1, 64]", "0"},
		{"dense3", "Dense", "[-1, 10]", "650"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %q", rows)
	}
	for i, cells := range want {
		fields := strings.Join(strings.Fields(rows[i]), " ")
		if fields != strings.Join(cells, " ") {
			t.Errorf("row %d = %q, want %q", i, fields, cells)
		}
	}
	stdout, _, _ = runGozoo(t, "summary", "-arch", "cifar-vgg")
	for _, typ := range []string{"Conv2D", "BatchNorm2D", "MaxPool2D", "Flatten", "Dropout", "Dense", "ReLU"} {
		if !strings.Contains(stdout, " "+typ+" ") {
			t.Errorf("cifar-vgg summary lacks a %s layer:\n%s", typ, stdout)
		}
	}
}

func TestSummaryModelFile(t *testing.T) {
	m, err := cnn.NewLeNet5(cnn.LeNet5Config{}, rand.New(rand.NewPCG(3, 0)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "lenet.safetensors")
	if err := zoo.Save(path, m, nil); err != nil {
		t.Fatal(err)
	}
	fromFile, stderr, code := runGozoo(t, "summary", "-model", path)
	if code != 0 {
		t.Fatalf("status %d: %s", code, stderr)
	}
	fromArch, _, _ := runGozoo(t, "summary", "-arch", "lenet5")
	if fromFile != fromArch {
		t.Errorf("summary of a saved LeNet-5:\n%s\ndiffers from -arch lenet5:\n%s", fromFile, fromArch)
	}
}

func TestSummaryErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"neither", []string{"summary"}, "give exactly one of -model FILE and -arch NAME"},
		{"both", []string{"summary", "-arch", "mlp", "-model", "m.safetensors"}, "give exactly one of"},
		{"unknown arch", []string{"summary", "-arch", "resnet"}, `unknown -arch "resnet"`},
		{"missing model", []string{"summary", "-model", "/nonexistent.safetensors"}, "/nonexistent.safetensors"},
		{"stray argument", []string{"summary", "-arch", "mlp", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkOneLineError(t, tc.args, tc.want) })
	}
}

// commas writes n with comma separators, as the summary does.
func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
