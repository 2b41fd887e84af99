package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/metrics"
	"github.com/gozoo/gozoo/optim"
	"github.com/gozoo/gozoo/recipes"
	"github.com/gozoo/gozoo/viz"
	"github.com/gozoo/gozoo/zoo"
)

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr)
	modelPath := fs.String("model", "", "model file written by gozoo train (DIR/model.safetensors)")
	dataDir := fs.String("data", "", "data folder (default: as for gozoo train)")
	batch := fs.Int("batch", 256, "evaluation batch size")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	plotPath := fs.String("plot-confusion", "", "draw the confusion matrix as a heatmap into this .png or .svg file")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *modelPath == "" {
		return fmt.Errorf("-model FILE is required")
	}
	if *batch <= 0 || *batch > 65536 {
		return fmt.Errorf("-batch must be between 1 and 65536, got %d", *batch)
	}
	m, spec, err := loadModel(*modelPath)
	if err != nil {
		return err
	}
	d, err := loadData(spec, *dataDir)
	if err != nil {
		return err
	}
	res, err := evaluate(ctx, m, spec, d.test, *batch)
	if err != nil {
		return err
	}
	if *plotPath != "" {
		if res.Confusion == nil {
			return fmt.Errorf("-plot-confusion needs a classifier; %s is a regression model", *modelPath)
		}
		if err := viz.ConfusionFile(res.Confusion, spec.ClassNames, *plotPath); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprint(stdout, res.text())
	return nil
}

// loadModel reads a model file written by gozoo train and its input spec.
func loadModel(path string) (zoo.Model, *inputSpec, error) {
	m, f, err := zoo.Load(path)
	if err != nil {
		return nil, nil, err
	}
	spec, err := specFromMetadata(f.Metadata)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, spec, nil
}

// evalResult is what gozoo eval reports.
type evalResult struct {
	Samples int     `json:"samples"`
	Loss    float64 `json:"loss"`
	// Classification.
	Accuracy  *float64        `json:"accuracy,omitempty"`
	Report    *metrics.Report `json:"report,omitempty"`
	Confusion [][]int         `json:"confusion_matrix,omitempty"`
	// Regression, in the target's own units.
	RMSE *float64 `json:"rmse,omitempty"`
	MAE  *float64 `json:"mae,omitempty"`
	R2   *float64 `json:"r2,omitempty"`
}

func evaluate(ctx context.Context, m zoo.Model, spec *inputSpec, test loader.Dataset, batch int) (*evalResult, error) {
	// The optimizer is never stepped: Evaluate and Predict run forward-only programs.
	opt, err := optim.New("sgd", 0)
	if err != nil {
		return nil, err
	}
	tr, err := recipes.NewTrainer(m, lossFor(spec), opt, 0)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	ev, err := tr.Evaluate(ctx, test, batch)
	if err != nil {
		return nil, err
	}
	res := &evalResult{Samples: ev.Samples, Loss: ev.Loss}
	if ev.Confusion != nil {
		rep, err := ev.Confusion.Report()
		if err != nil {
			return nil, err
		}
		if len(spec.ClassNames) == ev.Confusion.Classes() {
			if rep, err = rep.WithNames(spec.ClassNames); err != nil {
				return nil, err
			}
		}
		acc := ev.Accuracy
		res.Accuracy, res.Report, res.Confusion = &acc, &rep, ev.Confusion.Matrix()
		return res, nil
	}
	reg, err := regressionMetrics(ctx, tr, test, batch)
	if err != nil {
		return nil, err
	}
	rmse, mae, r2 := reg.RMSE(), reg.MAE(), reg.R2()
	res.RMSE, res.MAE, res.R2 = &rmse, &mae, &r2
	return res, nil
}

// regressionMetrics predicts every sample and compares the predictions,
// mapped back to the target's units, with the raw targets.
func regressionMetrics(ctx context.Context, tr *recipes.Trainer, ds loader.Dataset, batch int) (*metrics.Regression, error) {
	scaled, ok := ds.(*scaledTargets)
	if !ok {
		return nil, fmt.Errorf("regression data has no target scale")
	}
	out, err := tr.Predict(ctx, ds, batch)
	if err != nil {
		return nil, err
	}
	pred := make([]float32, ds.Len())
	truth := make([]float32, ds.Len())
	for i := range pred {
		pred[i] = float32(float64(out[i])*scaled.scale.Std + scaled.scale.Mean)
		truth[i] = scaled.rawTarget(i)
	}
	var reg metrics.Regression
	if err := reg.Update(pred, truth); err != nil {
		return nil, err
	}
	return &reg, nil
}

func (r *evalResult) text() string {
	if r.Accuracy == nil {
		return fmt.Sprintf("samples %d\nRMSE %.4f\nMAE  %.4f\nR2   %.4f\n", r.Samples, *r.RMSE, *r.MAE, *r.R2)
	}
	s := fmt.Sprintf("test accuracy %.4f over %d samples, loss %.4f\n\n%s\nconfusion matrix (rows: true class, columns: predicted)\n",
		*r.Accuracy, r.Samples, r.Loss, r.Report.String())
	for _, row := range r.Confusion {
		for j, v := range row {
			if j > 0 {
				s += " "
			}
			s += fmt.Sprintf("%5d", v)
		}
		s += "\n"
	}
	return s
}
