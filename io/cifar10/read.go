package cifar10

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File names of the binary distribution, and the folder that its archive
// (cifar-10-binary.tar.gz) extracts to.
const (
	TestFile   = "test_batch.bin"
	BatchesDir = "cifar-10-batches-bin"
)

// TrainFiles returns the names of the five training files, in order.
func TrainFiles() []string {
	return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
}

// ErrFormat is wrapped by the errors that report a malformed file: a size
// that is not a whole number of records, or a label above 9.
var ErrFormat = errors.New("cifar10: malformed file")

// chunkRecords is how many records read decodes per read call.
const chunkRecords = 256

// Read decodes the size bytes of CIFAR-10 records held in r. Size must be a
// positive multiple of RecordBytes and at most MaxBytes; it is checked
// before anything is allocated.
func Read(r io.Reader, size int64) (*Dataset, error) {
	n, err := records(size, "")
	if err != nil {
		return nil, err
	}
	images, labels := make([]uint8, n*ImageBytes), make([]uint8, n)
	if err := read(r, images, labels, ""); err != nil {
		return nil, err
	}
	return newDataset(images, labels), nil
}

// ReadFile reads one CIFAR-10 binary file, such as data_batch_1.bin. Errors
// name the file.
func ReadFile(path string) (*Dataset, error) {
	return readFiles([]string{path})
}

// Load reads the training set (the five data_batch_N.bin files, 50000
// images) and the test set (test_batch.bin, 10000 images) from dir, or from
// dir/cifar-10-batches-bin if dir itself does not hold them.
func Load(dir string) (train, test *Dataset, err error) {
	first := TrainFiles()[0]
	if _, err := os.Stat(filepath.Join(dir, first)); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, BatchesDir, first)); err == nil {
			dir = filepath.Join(dir, BatchesDir)
		}
	}
	var trainPaths []string
	for _, name := range TrainFiles() {
		trainPaths = append(trainPaths, filepath.Join(dir, name))
	}
	if train, err = readFiles(trainPaths); err != nil {
		return nil, nil, err
	}
	if test, err = readFiles([]string{filepath.Join(dir, TestFile)}); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// readFiles reads the files one after another into one dataset. It checks
// every file's size before it allocates.
func readFiles(paths []string) (*Dataset, error) {
	files := make([]*os.File, len(paths))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	counts := make([]int, len(paths))
	total := 0
	for k, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("cifar10: %w", err)
		}
		files[k] = f
		info, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("cifar10: %w", err)
		}
		if !info.Mode().IsRegular() {
			return nil, fmt.Errorf("cifar10: %s: not a regular file", path)
		}
		if counts[k], err = records(info.Size(), path); err != nil {
			return nil, err
		}
		total += counts[k]
		if int64(total)*RecordBytes > MaxBytes {
			return nil, fmt.Errorf("cifar10: %v: %d records in all: more than the %d bytes allowed", paths, total, MaxBytes)
		}
	}
	images, labels := make([]uint8, total*ImageBytes), make([]uint8, total)
	start := 0
	for k, f := range files {
		end := start + counts[k]
		if err := read(f, images[start*ImageBytes:end*ImageBytes], labels[start:end], paths[k]); err != nil {
			return nil, err
		}
		start = end
	}
	return newDataset(images, labels), nil
}

// records returns the number of records in a file of size bytes.
func records(size int64, name string) (int, error) {
	if size <= 0 || size%RecordBytes != 0 {
		return 0, fmt.Errorf("%w: %ssize %d bytes is not a positive multiple of the %d-byte record",
			ErrFormat, fileLabel(name), size, RecordBytes)
	}
	if size > MaxBytes {
		return 0, fmt.Errorf("cifar10: %ssize %d bytes is more than the %d bytes allowed", fileLabel(name), size, MaxBytes)
	}
	return int(size / RecordBytes), nil
}

// fileLabel is name and a colon, or nothing if name is empty.
func fileLabel(name string) string {
	if name == "" {
		return ""
	}
	return name + ": "
}

// read fills labels and images with len(labels) records from r.
func read(r io.Reader, images, labels []uint8, name string) error {
	buf := make([]uint8, min(len(labels), chunkRecords)*RecordBytes)
	for done := 0; done < len(labels); {
		n := min(len(labels)-done, chunkRecords)
		chunk := buf[:n*RecordBytes]
		if _, err := io.ReadFull(r, chunk); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("cifar10: %sreading record %d: %w", fileLabel(name), done, err)
		}
		for k := range n {
			rec := chunk[k*RecordBytes : (k+1)*RecordBytes]
			if rec[0] >= Classes {
				return fmt.Errorf("%w: %srecord %d has label %d, want 0 to %d",
					ErrFormat, fileLabel(name), done+k, rec[0], Classes-1)
			}
			labels[done+k] = rec[0]
			copy(images[(done+k)*ImageBytes:], rec[1:])
		}
		done += n
	}
	return nil
}

// Write encodes len(labels) images as CIFAR-10 records; images holds
// ImageBytes bytes per image as New describes. It accepts exactly what Read
// accepts: at least one image, labels below Classes, at most MaxBytes in all.
func Write(w io.Writer, images, labels []uint8) error {
	if len(labels) == 0 {
		return fmt.Errorf("cifar10: write: no images")
	}
	if int64(len(labels))*RecordBytes > MaxBytes {
		return fmt.Errorf("cifar10: write: %d images: more than the %d bytes allowed", len(labels), MaxBytes)
	}
	if err := check(images, labels); err != nil {
		return fmt.Errorf("%w (in write)", err)
	}
	bw := bufio.NewWriterSize(w, 64*RecordBytes)
	for i, l := range labels {
		bw.WriteByte(l)
		bw.Write(images[i*ImageBytes : (i+1)*ImageBytes])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cifar10: write: %w", err)
	}
	return nil
}
