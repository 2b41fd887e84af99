package recipes

import (
	"context"
	"fmt"
	"strings"

	"github.com/gozoo/gozoo/io/loader"
	"github.com/gozoo/gozoo/metrics"
	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/nn"
)

// Report is an evaluation as a person reads it: for a classifier the
// accuracy, per-class precision, recall and F1 with the card's class names
// and the confusion matrix; for regression RMSE, MAE and R2 in the target's
// own units. Its String is gozoo eval's text; it encodes as JSON.
type Report struct {
	Samples int     `json:"samples"`
	Loss    float64 `json:"loss"`
	// Classification.
	Accuracy  *float64        `json:"accuracy,omitempty"`
	Classes   *metrics.Report `json:"report,omitempty"`
	Confusion [][]int         `json:"confusion_matrix,omitempty"`
	// Regression, in the target's own units.
	RMSE *float64 `json:"rmse,omitempty"`
	MAE  *float64 `json:"mae,omitempty"`
	R2   *float64 `json:"r2,omitempty"`
}

// EvaluateReport evaluates model on ds, which must be in the model's input
// form (modelcard.Card.Data gives such datasets), with the loss of the
// card's task and no optimizer. Class names come from the card; a
// regression dataset must be a *modelcard.ScaledTargets, whose predictions
// are mapped back to raw units before RMSE, MAE and R2.
func EvaluateReport(ctx context.Context, model nn.Model, card *modelcard.Card, ds loader.Dataset, batchSize int) (*Report, error) {
	if card == nil {
		return nil, fmt.Errorf("recipes: a report needs the model's card (class names, target scale)")
	}
	t, err := forwardOnly(model, LossFor(card))
	if err != nil {
		return nil, err
	}
	// Names of the wrong length would label the classes wrongly; refuse
	// them rather than leave them out.
	if out := model.OutputShape(); len(out) != 1 {
		return nil, fmt.Errorf("recipes: model outputs must be vectors, got per-sample shape %v", out)
	} else if err := card.CheckModel(model.InputShape(), out[0]); err != nil {
		return nil, err
	}
	defer t.Close()
	ev, err := t.Evaluate(ctx, ds, batchSize)
	if err != nil {
		return nil, err
	}
	r := &Report{Samples: ev.Samples, Loss: ev.Loss}
	if ev.Confusion != nil {
		rep, err := ev.Confusion.Report()
		if err != nil {
			return nil, err
		}
		if len(card.ClassNames) > 0 {
			if rep, err = rep.WithNames(card.ClassNames); err != nil {
				return nil, err
			}
		}
		acc := ev.Accuracy
		r.Accuracy, r.Classes, r.Confusion = &acc, &rep, ev.Confusion.Matrix()
		return r, nil
	}
	reg, err := t.RegressionMetrics(ctx, ds, batchSize)
	if err != nil {
		return nil, err
	}
	rmse, mae, r2 := reg.RMSE(), reg.MAE(), reg.R2()
	r.RMSE, r.MAE, r.R2 = &rmse, &mae, &r2
	return r, nil
}

// RegressionMetrics predicts every sample of ds, a *modelcard.ScaledTargets,
// and compares the predictions, mapped back to the target's units, with the
// raw targets.
func (t *Trainer) RegressionMetrics(ctx context.Context, ds loader.Dataset, batchSize int) (*metrics.Regression, error) {
	scaled, ok := ds.(*modelcard.ScaledTargets)
	if !ok {
		return nil, fmt.Errorf("recipes: regression metrics in raw units need a *modelcard.ScaledTargets dataset, got %T", ds)
	}
	out, err := t.Predict(ctx, ds, batchSize)
	if err != nil {
		return nil, err
	}
	if outputs := t.Model.OutputShape()[0]; outputs != 1 {
		return nil, fmt.Errorf("recipes: regression metrics need 1 output, the model has %d", outputs)
	}
	pred := make([]float32, ds.Len())
	truth := make([]float32, ds.Len())
	for i := range pred {
		pred[i] = float32(scaled.Scale.Unscale(float64(out[i])))
		truth[i] = scaled.RawTarget(i)
	}
	var reg metrics.Regression
	if err := reg.Update(pred, truth); err != nil {
		return nil, err
	}
	return &reg, nil
}

// String is the report as gozoo eval prints it.
func (r *Report) String() string {
	if r.Accuracy == nil {
		if r.RMSE == nil {
			return fmt.Sprintf("samples %d\nloss %.4f\n", r.Samples, r.Loss)
		}
		return fmt.Sprintf("samples %d\nRMSE %.4f\nMAE  %.4f\nR2   %.4f\n", r.Samples, *r.RMSE, *r.MAE, *r.R2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "test accuracy %.4f over %d samples, loss %.4f\n\n%s\nconfusion matrix (rows: true class, columns: predicted)\n",
		*r.Accuracy, r.Samples, r.Loss, r.Classes.String())
	for _, row := range r.Confusion {
		for j, v := range row {
			if j > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "%5d", v)
		}
		b.WriteString("\n")
	}
	return b.String()
}
