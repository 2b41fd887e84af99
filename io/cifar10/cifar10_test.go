package cifar10

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/loader"
)

// synthetic returns n images whose pixel j of image i is (i*7 + j) mod 256,
// and labels i mod 10.
func synthetic(n int) (images, labels []uint8) {
	images, labels = make([]uint8, n*ImageBytes), make([]uint8, n)
	for i := range n {
		labels[i] = uint8(i % Classes)
		for j := range ImageBytes {
			images[i*ImageBytes+j] = uint8(i*7 + j)
		}
	}
	return images, labels
}

// encode writes images and labels in the CIFAR-10 format.
func encode(t *testing.T, images, labels []uint8) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, images, labels); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes a CIFAR-10 file with n synthetic images at dir/name.
func writeFile(t *testing.T, dir, name string, n int) {
	t.Helper()
	images, labels := synthetic(n)
	if err := os.WriteFile(filepath.Join(dir, name), encode(t, images, labels), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	images, labels := synthetic(300) // more than one read chunk
	data := encode(t, images, labels)
	if len(data) != 300*RecordBytes {
		t.Fatalf("wrote %d bytes, want %d", len(data), 300*RecordBytes)
	}
	// Record layout: label byte, then the red plane.
	if data[RecordBytes] != 1 || data[RecordBytes+1] != images[ImageBytes] {
		t.Fatalf("record 1 starts %v, want label 1 then pixel %d", data[RecordBytes:RecordBytes+2], images[ImageBytes])
	}
	ds, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 300 || ds.Classes() != 10 {
		t.Fatalf("Len %d Classes %d, want 300 and 10", ds.Len(), ds.Classes())
	}
	if got := ds.InputShape(); len(got) != 3 || got[0] != 3 || got[1] != 32 || got[2] != 32 {
		t.Fatalf("InputShape %v, want [3 32 32]", got)
	}
	in := make([]float32, ImageBytes)
	for _, i := range []int{0, 255, 256, 299} {
		if ds.Label(i) != int(labels[i]) {
			t.Errorf("Label(%d) = %d, want %d", i, ds.Label(i), labels[i])
		}
		if !bytes.Equal(ds.Image(i), images[i*ImageBytes:(i+1)*ImageBytes]) {
			t.Errorf("Image(%d) differs from what was written", i)
		}
		ds.Input(i, in)
		for _, j := range []int{0, 1023, 1024, 3071} {
			if want := float32(images[i*ImageBytes+j]) / 255; in[j] != want {
				t.Errorf("Input(%d)[%d] = %v, want %v", i, j, in[j], want)
			}
		}
	}
	// The loader sees a Classified dataset.
	batch := make([]float32, 2*ImageBytes)
	if err := loader.FillInputs(ds, []int{3, 4}, batch); err != nil {
		t.Fatal(err)
	}
}

func TestReadErrors(t *testing.T) {
	images, labels := synthetic(3)
	good := encode(t, images, labels)
	badLabel := bytes.Clone(good)
	badLabel[2*RecordBytes] = 10
	tests := []struct {
		name   string
		data   []byte
		size   int64
		format bool     // wraps ErrFormat
		want   []string // substrings of the message
	}{
		{"empty", nil, 0, true, []string{"size 0 bytes", "3073"}},
		{"negative size", good, -1, true, []string{"size -1 bytes"}},
		{"one byte extra", append(bytes.Clone(good), 0), int64(len(good) + 1), true, []string{"size 9220 bytes"}},
		{"label 10", badLabel, int64(len(badLabel)), true, []string{"record 2", "label 10"}},
		{"truncated", good[:2*RecordBytes], int64(len(good)), false, []string{"record 0", "unexpected EOF"}},
		{"too large", nil, MaxBytes + RecordBytes, false, []string{"more than"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.data), tt.size)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrFormat) != tt.format {
				t.Errorf("errors.Is(%v, ErrFormat) = %v, want %v", err, !tt.format, tt.format)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestReadFileNamesFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "odd.bin")
	if err := os.WriteFile(path, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "size 100 bytes") {
		t.Fatalf("ReadFile of a 100-byte file: error %v, want one naming %s and its size", err, path)
	}
	writeFile(t, dir, "ok.bin", 4)
	ds, err := ReadFile(filepath.Join(dir, "ok.bin"))
	if err != nil || ds.Len() != 4 {
		t.Fatalf("ReadFile: %v, %v", ds, err)
	}
}

func TestLoad(t *testing.T) {
	for _, sub := range []string{"", BatchesDir} {
		t.Run("in "+filepath.Join("dir", sub), func(t *testing.T) {
			dir := t.TempDir()
			files := filepath.Join(dir, sub)
			if err := os.MkdirAll(files, 0o755); err != nil {
				t.Fatal(err)
			}
			for k, name := range TrainFiles() {
				writeFile(t, files, name, k+1) // 1+2+3+4+5 = 15 images
			}
			writeFile(t, files, TestFile, 6)
			train, test, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if train.Len() != 15 || test.Len() != 6 {
				t.Fatalf("Len %d and %d, want 15 and 6", train.Len(), test.Len())
			}
			// Image 1 is the first image of data_batch_2.bin.
			images, _ := synthetic(1)
			if !bytes.Equal(train.Image(1), images) || train.Label(1) != 0 {
				t.Errorf("image 1 is not the first image of data_batch_2.bin")
			}
		})
	}
	t.Run("missing test file", func(t *testing.T) {
		dir := t.TempDir()
		for _, name := range TrainFiles() {
			writeFile(t, dir, name, 1)
		}
		if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), TestFile) {
			t.Fatalf("error %v, want one naming %s", err, TestFile)
		}
	})
	t.Run("bad size in one file", func(t *testing.T) {
		dir := t.TempDir()
		for _, name := range TrainFiles() {
			writeFile(t, dir, name, 1)
		}
		writeFile(t, dir, TestFile, 1)
		bad := filepath.Join(dir, TrainFiles()[3])
		if err := os.WriteFile(bad, make([]byte, RecordBytes-1), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Load(dir); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), bad) {
			t.Fatalf("error %v, want ErrFormat naming %s", err, bad)
		}
	})
}

func TestWriteErrors(t *testing.T) {
	images, labels := synthetic(2)
	tests := []struct {
		name           string
		images, labels []uint8
		want           string
	}{
		{"no images", nil, nil, "no images"},
		{"short images", images[:ImageBytes], labels, "2 labels need 6144 bytes"},
		{"label 10", images, []uint8{0, 10}, "label 10 of image 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(io.Discard, tt.images, tt.labels)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if _, err := New(tt.images, tt.labels); tt.images != nil && err == nil {
				t.Fatalf("New accepted what Write rejects")
			}
		})
	}
}

func TestNormalization(t *testing.T) {
	images := make([]uint8, ImageBytes)
	const plane = Height * Width
	for j := range plane {
		images[j] = 255        // red: all 1
		images[plane+j] = 0    // green: all 0
		images[2*plane+j] = 51 // blue: all 0.2
	}
	ds, err := New(images, []uint8{4})
	if err != nil {
		t.Fatal(err)
	}
	mean, std := ds.ChannelStats()
	if mean != [3]float32{1, 0, 0.2} || std != [3]float32{0, 0, 0} {
		t.Fatalf("ChannelStats = %v %v, want [1 0 0.2] [0 0 0]", mean, std)
	}
	norm, err := ds.WithNormalization([3]float32{0.5, 0.5, 0.2}, [3]float32{0.25, 0.5, 2})
	if err != nil {
		t.Fatal(err)
	}
	in := make([]float32, ImageBytes)
	norm.Input(0, in)
	// (1-0.5)/0.25 = 2, (0-0.5)/0.5 = -1, (0.2-0.2)/2 = 0.
	for c, want := range []float32{2, -1, 0} {
		if got := in[c*plane+17]; math.Abs(float64(got-want)) > 1e-6 {
			t.Errorf("channel %d: %v, want %v", c, got, want)
		}
	}
	if _, _, ok := ds.Normalization(); ok {
		t.Error("WithNormalization changed the original dataset")
	}
	if m, s, ok := norm.Normalization(); !ok || m[0] != 0.5 || s[2] != 2 {
		t.Errorf("Normalization() = %v %v %v", m, s, ok)
	}
	nan := float32(math.NaN())
	for _, bad := range [][2][3]float32{
		{{0, 0, 0}, {1, 0, 1}},
		{{0, 0, 0}, {1, 1, -1}},
		{{nan, 0, 0}, {1, 1, 1}},
		{{0, 0, 0}, {1, float32(math.Inf(1)), 1}},
		{{0, 0, 0}, {1, 1e-45, 1}},  // a FuzzRead seed: 1/std overflows
		{{3e38, 0, 0}, {0.1, 1, 1}}, // a FuzzRead seed: mean/std overflows
	} {
		if _, err := ds.WithNormalization(bad[0], bad[1]); err == nil {
			t.Errorf("WithNormalization(%v, %v) accepted", bad[0], bad[1])
		}
	}
}

func TestChannelStats(t *testing.T) {
	// Two images: red 0 in one and 255 in the other (mean 0.5, std 0.5),
	// green 102 in both (0.4, 0), blue alternating 0/255 within each image.
	const plane = Height * Width
	images := make([]uint8, 2*ImageBytes)
	for j := range plane {
		images[ImageBytes+j] = 255
		images[plane+j], images[ImageBytes+plane+j] = 102, 102
		if j%2 == 0 {
			images[2*plane+j], images[ImageBytes+2*plane+j] = 255, 255
		}
	}
	ds, err := New(images, []uint8{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	mean, std := ds.ChannelStats()
	want := [2][3]float32{{0.5, 0.4, 0.5}, {0.5, 0, 0.5}}
	for c := range 3 {
		if math.Abs(float64(mean[c]-want[0][c])) > 1e-6 || math.Abs(float64(std[c]-want[1][c])) > 1e-6 {
			t.Errorf("channel %d: mean %v std %v, want %v %v", c, mean[c], std[c], want[0][c], want[1][c])
		}
	}
	empty, _ := New(nil, nil)
	if m, s := empty.ChannelStats(); m != [3]float32{} || s != [3]float32{} {
		t.Errorf("empty dataset: %v %v, want zeros", m, s)
	}
}

func TestClassNames(t *testing.T) {
	names := ClassNames()
	if len(names) != Classes || names[0] != "airplane" || names[9] != "truck" {
		t.Fatalf("ClassNames() = %v", names)
	}
	names[0] = "changed"
	if ClassNames()[0] != "airplane" {
		t.Fatal("ClassNames returns shared state")
	}
}
