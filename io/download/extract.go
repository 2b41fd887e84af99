package download

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Limits of ExtractTarGz, far above the CIFAR-10 archive (six files, 185 MB
// in all), that keep a hostile archive from filling the disk.
const (
	MaxExtractFileBytes = 1 << 30 // one file
	MaxExtractBytes     = 4 << 30 // all files together
	MaxExtractEntries   = 10000   // files and folders
)

// extractLimits are the limits extractTarGz enforces; the fuzz test uses
// small ones so that it does not write gigabytes.
type extractLimits struct {
	fileBytes, totalBytes int64
	entries               int
}

var defaultLimits = extractLimits{MaxExtractFileBytes, MaxExtractBytes, MaxExtractEntries}

// ErrUnsafeArchive is wrapped by the errors ExtractTarGz returns for an
// entry it refuses: a path that is absolute or climbs out with "..", an
// entry other than a regular file or a folder (such as a link), or one
// above the size limits.
var ErrUnsafeArchive = errors.New("download: unsafe archive")

// ExtractTarGz extracts the gzip-compressed tar archive at path into
// destDir, creating destDir if needed and overwriting files of the same
// names. It extracts only regular files and folders whose paths stay inside
// destDir, within MaxExtractFileBytes, MaxExtractBytes and
// MaxExtractEntries, and fails on anything else (ErrUnsafeArchive); the
// files written before the failure stay.
func ExtractTarGz(path, destDir string) error {
	return extractTarGz(path, destDir, defaultLimits)
}

func extractTarGz(path, destDir string, lim extractLimits) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("download: %s: %w", path, err)
	}
	defer zr.Close()
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	// All writes go through root, which refuses any path that leaves
	// destDir, including through symbolic links already in it.
	root, err := os.OpenRoot(destDir)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer root.Close()

	tr := tar.NewReader(zr)
	var total int64
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("download: %s: %w", path, err)
		}
		if entries >= lim.entries {
			return fmt.Errorf("%w: %s: more than %d entries", ErrUnsafeArchive, path, lim.entries)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // pax metadata for the whole archive, not a file
		}
		name, err := entryName(hdr.Name)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrUnsafeArchive, path, err)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return fmt.Errorf("download: %s: %w", path, err)
			}
		case tar.TypeReg:
			if hdr.Size > lim.fileBytes {
				return fmt.Errorf("%w: %s: entry %q has %d bytes, above the %d-byte limit",
					ErrUnsafeArchive, path, hdr.Name, hdr.Size, lim.fileBytes)
			}
			if total += hdr.Size; total > lim.totalBytes {
				return fmt.Errorf("%w: %s: more than %d bytes in all", ErrUnsafeArchive, path, lim.totalBytes)
			}
			if err := writeEntry(root, name, tr, hdr.Size); err != nil {
				return fmt.Errorf("download: %s: entry %q: %w", path, hdr.Name, err)
			}
		default:
			return fmt.Errorf("%w: %s: entry %q has type %q: want a regular file or a folder",
				ErrUnsafeArchive, path, hdr.Name, hdr.Typeflag)
		}
	}
}

// entryName checks a tar entry name and returns it as a local path.
func entryName(name string) (string, error) {
	trimmed := strings.TrimSuffix(name, "/") // folders may end in a slash
	for part := range strings.SplitSeq(trimmed, "/") {
		if part == ".." {
			return "", fmt.Errorf("entry %q has a \"..\" component", name)
		}
	}
	local := filepath.FromSlash(trimmed)
	if strings.HasPrefix(name, "/") || strings.Contains(name, `\`) || !filepath.IsLocal(local) {
		return "", fmt.Errorf("entry %q is not a relative path inside the folder", name)
	}
	return local, nil
}

// writeEntry writes the size bytes of r to the file name under root.
func writeEntry(root *os.Root, name string, r io.Reader, size int64) error {
	if dir := filepath.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
