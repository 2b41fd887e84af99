package recipes

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func readHistory(t *testing.T, path string) []EpochStats {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || len(top) != 1 || top["epochs"] == nil {
		t.Fatalf("%s is not {\"epochs\": [...]}: %v", path, err)
	}
	var h History
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	return h.Epochs
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,samples_per_sec" {
		t.Fatalf("%s has header %v", path, rows)
	}
	return rows[1:]
}

func epochsOf(stats []EpochStats) []int {
	var epochs []int
	for _, s := range stats {
		epochs = append(epochs, s.Epoch)
	}
	return epochs
}

// A run writes epochs 1-4 but checkpoints only at 2, then dies; the resumed
// run to 5 must keep 1-2, drop the lost 3-4 and append its own 3-5, which
// equal the lost ones but for timings, since resuming is bit-identical.
func TestHistoryLoggerResumeAppends(t *testing.T) {
	train, val := newBlobs(60, 1), newBlobs(30, 2)
	dir := t.TempDir()
	jsonPath, csvPath := filepath.Join(dir, "history.json"), filepath.Join(dir, "history.csv")
	ckPath := func(name string, epoch int) string {
		return filepath.Join(dir, fmt.Sprintf("%s-%d.safetensors", name, epoch))
	}
	opts := func(epochs int, cbs ...Callback) FitOptions {
		return FitOptions{Epochs: epochs, BatchSize: 20, Validation: val, Callbacks: cbs}
	}
	first := newTestTrainer(t, 4)
	hist, err := first.Fit(context.Background(), train, opts(4, &HistoryLogger{JSONPath: jsonPath, CSVPath: csvPath},
		&ModelCheckpoint{Path: ckPath, SaveLast: true, Every: 2}))
	if err != nil {
		t.Fatal(err)
	}
	written := readHistory(t, jsonPath)
	if !slices.Equal(epochsOf(written), []int{1, 2, 3, 4}) {
		t.Fatalf("history has epochs %v", epochsOf(written))
	}
	for i, s := range written {
		want := hist.Epochs[i]
		want.Validation = nil // not part of the JSON
		if s != want {
			t.Errorf("epoch %d written as %+v, Fit returned %+v", s.Epoch, s, want)
		}
	}
	firstRows := readCSV(t, csvPath)

	_, resumed := resume(t, ckPath("last", 2))
	if _, err := resumed.Fit(context.Background(), train, opts(5, &HistoryLogger{JSONPath: jsonPath, CSVPath: csvPath})); err != nil {
		t.Fatal(err)
	}
	got := readHistory(t, jsonPath)
	if !slices.Equal(epochsOf(got), []int{1, 2, 3, 4, 5}) {
		t.Fatalf("resumed history has epochs %v, want 1-5", epochsOf(got))
	}
	if got[0] != written[0] || got[1] != written[1] {
		t.Error("resuming changed the epochs before the checkpoint")
	}
	for i := 2; i < 4; i++ {
		if got[i].TrainLoss != written[i].TrainLoss || got[i].ValLoss != written[i].ValLoss {
			t.Errorf("epoch %d: losses %v/%v after resuming, %v/%v before", i+1, got[i].TrainLoss, got[i].ValLoss, written[i].TrainLoss, written[i].ValLoss)
		}
	}
	rows := readCSV(t, csvPath)
	if len(rows) != 5 || !slices.Equal(rows[0], firstRows[0]) || !slices.Equal(rows[1], firstRows[1]) {
		t.Fatalf("resumed CSV rows %v, want 5 starting with %v", rows, firstRows[:2])
	}
	for i, row := range rows {
		s := got[i]
		want := []string{strconv.Itoa(s.Epoch), num(s.TrainLoss), num(s.TrainAccuracy), num(s.ValLoss), num(s.ValAccuracy),
			num(s.LearningRate), num(s.Seconds), num(s.SamplesPerSec)}
		if !slices.Equal(row, want) {
			t.Errorf("CSV row %v, JSON says %v", row, want)
		}
	}
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func TestHistoryLoggerFreshRunAndErrors(t *testing.T) {
	train := newBlobs(30, 1)
	dir := t.TempDir()
	jsonPath, csvPath := filepath.Join(dir, "h.json"), filepath.Join(dir, "h.csv")
	for _, path := range []string{jsonPath, csvPath} {
		if err := os.WriteFile(path, []byte("left from another run"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// From epoch 0 the old files are replaced, not read.
	tr := newTestTrainer(t, 1)
	logger := &HistoryLogger{JSONPath: jsonPath, CSVPath: csvPath}
	if _, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 2, BatchSize: 10, Callbacks: []Callback{logger}}); err != nil {
		t.Fatal(err)
	}
	if got := epochsOf(readHistory(t, jsonPath)); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("fresh run wrote epochs %v", got)
	}
	// No validation data: the validation cells are empty.
	if rows := readCSV(t, csvPath); len(rows) != 2 || rows[1][3] != "" || rows[1][4] != "" || rows[1][2] == "" {
		t.Errorf("rows without validation %v", rows)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %d entries, want the 2 files and no temporary ones", len(entries))
	}

	// Continuing (a second Fit on the trainer) reads them, and rejects a
	// file that is not a history rather than dropping it.
	tests := []struct {
		name, path, content, want string
	}{
		{"bad JSON", jsonPath, "{", "h.json"},
		{"bad CSV header", csvPath, "epoch,loss\n1,2\n", "does not start with the header"},
		{"bad CSV epoch", csvPath, historyHeader + "\nx,1,,,,0.1,1,1\n", `epoch "x" is not a number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			saved, _ := os.ReadFile(tc.path)
			defer os.WriteFile(tc.path, saved, 0o644)
			if err := os.WriteFile(tc.path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 3, BatchSize: 10, Callbacks: []Callback{logger}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := tr.Fit(context.Background(), train, FitOptions{Epochs: 3, BatchSize: 10, Callbacks: []Callback{logger}}); err != nil {
		t.Fatal(err)
	}
	if got := epochsOf(readHistory(t, jsonPath)); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("a second Fit left epochs %v, want 1-3", got)
	}
}
