package recipes

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gozoo/gozoo/io/modelfile"
)

// historyHeader is the header of HistoryLogger's CSV file.
const historyHeader = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,samples_per_sec"

// HistoryLogger writes the training history after every epoch: to JSONPath
// as History's JSON ({"epochs": [...]}) and to CSVPath as a table with the
// header
//
//	epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,samples_per_sec
//
// whose accuracy cells are empty for a loss without accuracies and whose
// validation cells are empty without validation data. Each write replaces
// the whole file atomically (a temporary file renamed over it), so a reader
// or a crash never sees half a file.
//
// A Fit that continues a trainer (a resumed checkpoint, or a second Fit)
// appends: each file keeps the epochs up to Trainer.Epoch that it already
// holds and drops later ones, which belong to a run that did not reach the
// checkpoint. A Fit from epoch 0 starts both files afresh. List it before
// ModelCheckpoint, so that every epoch a checkpoint holds is in the files.
type HistoryLogger struct {
	BaseCallback
	// JSONPath and CSVPath are the files written; at least one must be set.
	JSONPath, CSVPath string

	prior    []EpochStats // epochs kept from the JSON file
	priorCSV [][]string   // rows kept from the CSV file
	classify bool
}

// Validate checks that there is a file to write.
func (h *HistoryLogger) Validate() error {
	if h.JSONPath == "" && h.CSVPath == "" {
		return fmt.Errorf("recipes: history logger needs a JSONPath, a CSVPath or both")
	}
	return nil
}

func (h *HistoryLogger) OnTrainBegin(r *Run) error {
	if err := h.Validate(); err != nil {
		return err
	}
	h.prior, h.priorCSV, h.classify = nil, nil, r.Trainer.Loss.Classification()
	if !continuing(r) {
		return nil
	}
	upTo := r.Trainer.Epoch
	if h.JSONPath != "" {
		data, err := readIfExists(h.JSONPath)
		if err != nil || data == nil {
			return err
		}
		var old History
		if err := json.Unmarshal(data, &old); err != nil {
			return fmt.Errorf("recipes: history %s: %w", h.JSONPath, err)
		}
		h.prior = slices.DeleteFunc(old.Epochs, func(s EpochStats) bool { return s.Epoch > upTo })
	}
	if h.CSVPath != "" {
		return h.readCSV(upTo)
	}
	return nil
}

func (h *HistoryLogger) readCSV(upTo int) error {
	data, err := readIfExists(h.CSVPath)
	if err != nil || data == nil {
		return err
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return fmt.Errorf("recipes: history %s: %w", h.CSVPath, err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != historyHeader {
		return fmt.Errorf("recipes: history %s does not start with the header %s", h.CSVPath, historyHeader)
	}
	for _, row := range rows[1:] {
		epoch, err := strconv.Atoi(row[0])
		if err != nil {
			return fmt.Errorf("recipes: history %s: epoch %q is not a number", h.CSVPath, row[0])
		}
		if epoch <= upTo {
			h.priorCSV = append(h.priorCSV, row)
		}
	}
	return nil
}

// readIfExists returns a file's content, or nil if there is no such file.
func readIfExists(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recipes: history: %w", err)
	}
	return data, nil
}

func (h *HistoryLogger) OnEpochEnd(r *Run, _ *EpochStats) error {
	if h.JSONPath != "" {
		data, err := json.MarshalIndent(History{Epochs: slices.Concat(h.prior, r.History.Epochs)}, "", "  ")
		if err != nil {
			return fmt.Errorf("recipes: history %s: %w", h.JSONPath, err)
		}
		if err := writeFileAtomic(h.JSONPath, append(data, '\n')); err != nil {
			return err
		}
	}
	if h.CSVPath == "" {
		return nil
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(strings.Split(historyHeader, ",")) // a bytes.Buffer does not fail; w.Error reports the rest
	_ = w.WriteAll(h.priorCSV)
	for i := range r.History.Epochs {
		_ = w.Write(h.csvRow(&r.History.Epochs[i]))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("recipes: history %s: %w", h.CSVPath, err)
	}
	return writeFileAtomic(h.CSVPath, buf.Bytes())
}

func (h *HistoryLogger) csvRow(s *EpochStats) []string {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	row := []string{strconv.Itoa(s.Epoch), num(s.TrainLoss), "", "", "", num(s.LearningRate), num(s.Seconds), num(s.SamplesPerSec)}
	if h.classify {
		row[2] = num(s.TrainAccuracy)
	}
	if s.ValSamples > 0 {
		row[3] = num(s.ValLoss)
		if h.classify {
			row[4] = num(s.ValAccuracy)
		}
	}
	return row
}

// writeFileAtomic replaces path with data so that readers see the old file
// or the new one, never a mix: it writes a temporary file in the same
// folder, syncs it and renames it over path.
func writeFileAtomic(path string, data []byte) error {
	err := modelfile.WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("recipes: history %s: %w", path, err)
	}
	return nil
}
