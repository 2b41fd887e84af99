package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/io/modelfile"
	"github.com/gozoo/gozoo/modelcard"
)

// mlpForward runs a saved MLP's dense layers (ReLU between them) in
// float64, straight from the file's tensors: an evaluation that shares no
// code with gozoo's graphs.
func mlpForward(t *testing.T, f *modelfile.File, x []float32) []float64 {
	t.Helper()
	byName := map[string]modelfile.Tensor{}
	for _, ts := range f.Tensors {
		byName[ts.Name] = ts
	}
	h := make([]float64, len(x))
	for i, v := range x {
		h[i] = float64(v)
	}
	for layer := 1; ; layer++ {
		w, ok := byName[fmt.Sprintf("dense%d/weight", layer)]
		if !ok {
			t.Fatalf("no dense%d/weight", layer)
		}
		b := byName[fmt.Sprintf("dense%d/bias", layer)]
		in, out := w.Shape[0], w.Shape[1]
		if in != len(h) {
			t.Fatalf("dense%d takes %d inputs, got %d", layer, in, len(h))
		}
		next := make([]float64, out)
		for j := range out {
			s := float64(b.Data[j])
			for i := range in {
				s += h[i] * float64(w.Data[i*out+j])
			}
			next[j] = s
		}
		if _, more := byName[fmt.Sprintf("dense%d/weight", layer+1)]; !more {
			return next
		}
		for j, v := range next {
			next[j] = math.Max(v, 0)
		}
		h = next
	}
}

// close reports whether a and b agree to rel (relative) or 1e-9.
func closeTo(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))+1e-9
}

// gozoo train -csv and gozoo eval, end to end on a classification and a
// regression table: eval's figures match train's, and both match an
// independent computation from the saved weights, in raw units (diabetes'
// target is a disease score from 25 to 346, not its standardized form).
func TestCSVTrainEvalEndToEnd(t *testing.T) {
	for _, name := range []string{"iris", "diabetes"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			stdout, stderr, code := runGozoo(t, "train", "-csv", name, "-out", dir, "-quiet")
			if code != 0 {
				t.Fatalf("train: status %d: %s", code, stderr)
			}
			path := filepath.Join(dir, "model.safetensors")
			evalOut, stderr, code := runGozoo(t, "eval", "-model", path, "-json")
			if code != 0 {
				t.Fatalf("eval: status %d: %s", code, stderr)
			}
			var ev struct {
				Samples   int      `json:"samples"`
				Accuracy  *float64 `json:"accuracy"`
				Confusion [][]int  `json:"confusion_matrix"`
				RMSE      *float64 `json:"rmse"`
				MAE       *float64 `json:"mae"`
				R2        *float64 `json:"r2"`
			}
			if err := json.Unmarshal([]byte(evalOut), &ev); err != nil {
				t.Fatalf("eval output %q: %v", evalOut, err)
			}

			f, err := modelfile.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			card, _, err := modelcard.FromMetadata(f.Metadata)
			if err != nil {
				t.Fatal(err)
			}
			data, err := card.Data("")
			if err != nil {
				t.Fatal(err)
			}
			test := data.Test
			x := make([]float32, card.Shape[0])
			if !card.Regression() {
				labelled := test.(loader.Classified)
				confusion := make([][]int, labelled.Classes())
				for i := range confusion {
					confusion[i] = make([]int, labelled.Classes())
				}
				correct := 0
				for i := range test.Len() {
					test.Input(i, x)
					out := mlpForward(t, f, x)
					best := 0
					for c := range out {
						if out[c] > out[best] {
							best = c
						}
					}
					confusion[labelled.Label(i)][best]++
					if best == labelled.Label(i) {
						correct++
					}
				}
				acc := float64(correct) / float64(test.Len())
				if ev.Accuracy == nil || *ev.Accuracy != acc || ev.Samples != 30 || fmt.Sprint(ev.Confusion) != fmt.Sprint(confusion) {
					t.Errorf("eval: %s; the weights give accuracy %v, confusion %v over %d", evalOut, acc, confusion, test.Len())
				}
				if want := fmt.Sprintf("test accuracy %.4f over 30 samples", acc); !strings.HasPrefix(stdout, want) {
					t.Errorf("train printed %q, want it to start %q", stdout, want)
				}
				if acc < 0.85 {
					t.Errorf("iris test accuracy %v", acc)
				}
				return
			}
			scaled := test.(*modelcard.ScaledTargets)
			var sq, abs, sum, sumSq float64
			lo, hi := math.Inf(1), math.Inf(-1)
			n := float64(test.Len())
			for i := range test.Len() {
				test.Input(i, x)
				pred := card.TargetScale.Unscale(mlpForward(t, f, x)[0])
				truth := float64(scaled.RawTarget(i))
				lo, hi = math.Min(lo, truth), math.Max(hi, truth)
				sq += (pred - truth) * (pred - truth)
				abs += math.Abs(pred - truth)
				sum += truth
				sumSq += truth * truth
			}
			rmse, mae := math.Sqrt(sq/n), abs/n
			r2 := 1 - sq/(sumSq-sum*sum/n)
			if lo < 25 || hi > 346 || hi-lo < 100 {
				t.Errorf("test targets span %v..%v: not diabetes' raw scores", lo, hi)
			}
			if ev.RMSE == nil || !closeTo(*ev.RMSE, rmse, 1e-5) || !closeTo(*ev.MAE, mae, 1e-5) || !closeTo(*ev.R2, r2, 1e-4) || ev.Samples != 88 {
				t.Errorf("eval: %s; the weights give RMSE %v, MAE %v, R2 %v", evalOut, rmse, mae, r2)
			}
			if rmse < 40 || rmse > 80 || r2 < 0.3 {
				t.Errorf("diabetes test RMSE %v, R2 %v", rmse, r2)
			}
			if want := fmt.Sprintf("test RMSE %.4f, MAE %.4f, R2 %.4f over 88 rows", *ev.RMSE, *ev.MAE, *ev.R2); strings.TrimSpace(stdout) != want {
				t.Errorf("train printed %q, eval's figures are %q", stdout, want)
			}
		})
	}
}
