package recipes

// Run is what callbacks see of a Fit call in progress.
type Run struct {
	Trainer *Trainer
	Options *FitOptions
	History *History
	// Batches is the number of batches in the current epoch.
	Batches int
}

func (r *Run) each(f func(Callback) error) error {
	for _, c := range r.Options.Callbacks {
		if err := f(c); err != nil {
			return err
		}
	}
	return nil
}

// BatchStats describes one completed training step.
type BatchStats struct {
	Epoch, Batch, Batches int
	// Size is the number of samples in the batch.
	Size int
	// Loss is this batch's loss; MeanLoss the epoch's running mean.
	Loss, MeanLoss float64
	// Step counts optimizer steps since training began.
	Step int64
}

// Callback hooks into Fit. Returning ErrStopTraining from a hook ends
// training cleanly; any other error aborts Fit with that error. Embed
// BaseCallback to implement only the hooks you need.
type Callback interface {
	OnTrainBegin(r *Run) error
	OnEpochBegin(r *Run, epoch int) error
	OnBatchBegin(r *Run, batch int) error
	OnBatchEnd(r *Run, s BatchStats) error
	OnEpochEnd(r *Run, s *EpochStats) error
	OnTrainEnd(r *Run) error
}

// BaseCallback implements every Callback hook as a no-op.
type BaseCallback struct{}

func (BaseCallback) OnTrainBegin(*Run) error            { return nil }
func (BaseCallback) OnEpochBegin(*Run, int) error       { return nil }
func (BaseCallback) OnBatchBegin(*Run, int) error       { return nil }
func (BaseCallback) OnBatchEnd(*Run, BatchStats) error  { return nil }
func (BaseCallback) OnEpochEnd(*Run, *EpochStats) error { return nil }
func (BaseCallback) OnTrainEnd(*Run) error              { return nil }
