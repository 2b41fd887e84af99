package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMaxBytes is the size cap Options.MaxBytes = 0 selects: 1 GiB.
const DefaultMaxBytes = 1 << 30

// Errors that callers may branch on; the errors returned wrap them.
var (
	ErrChecksum = errors.New("download: checksum mismatch")
	ErrTooLarge = errors.New("download: file too large")
	ErrStatus   = errors.New("download: unexpected HTTP status")
)

// Options are the settings of a download; the zero value gives the defaults.
type Options struct {
	// Client makes the requests; nil means http.DefaultClient. Tests pass
	// the client of an httptest.Server.
	Client *http.Client
	// MaxBytes caps the size of one downloaded file; 0 means
	// DefaultMaxBytes. A larger Content-Length is refused before the body
	// is read.
	MaxBytes int64
	// BaseURL replaces the base URL of the known sources (Source.BaseURL)
	// in FetchCIFAR10 and FetchFashionMNIST, to use a mirror or a test
	// server. Fetch, which takes a full URL, rejects it.
	BaseURL string
}

func (o Options) client() *http.Client {
	if o.Client == nil {
		return http.DefaultClient
	}
	return o.Client
}

func (o Options) maxBytes() (int64, error) {
	switch {
	case o.MaxBytes < 0:
		return 0, fmt.Errorf("download: Options.MaxBytes %d: want 0 (default) or positive", o.MaxBytes)
	case o.MaxBytes == 0:
		return DefaultMaxBytes, nil
	}
	return o.MaxBytes, nil
}

// DefaultCacheDir is the folder "gozoo" in the user's cache folder
// (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux).
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	return filepath.Join(dir, "gozoo"), nil
}

// Fetch returns the path of cacheDir/fileName, downloading it from url
// first unless it is already there with the SHA-256 checksum sha256Hex (64
// hexadecimal digits). A download is streamed to a temporary file in
// cacheDir while it is hashed; it fails, and leaves no file behind, if the
// server answers other than 200 OK, the body exceeds the size cap, the
// checksum differs (ErrChecksum) or ctx is cancelled. On success the file
// is renamed into place atomically, replacing a corrupt cached copy.
func Fetch(ctx context.Context, url, cacheDir, fileName, sha256Hex string, opts Options) (path string, err error) {
	if opts.BaseURL != "" {
		return "", fmt.Errorf("download: Options.BaseURL %q applies to FetchCIFAR10 and FetchFashionMNIST, not to Fetch: put it in the URL", opts.BaseURL)
	}
	return fetch(ctx, url, cacheDir, fileName, sha256Hex, opts)
}

func fetch(ctx context.Context, url, cacheDir, fileName, sha256Hex string, opts Options) (path string, err error) {
	want, err := checkArgs(url, cacheDir, fileName, sha256Hex)
	if err != nil {
		return "", err
	}
	limit, err := opts.maxBytes()
	if err != nil {
		return "", err
	}
	path = filepath.Join(cacheDir, fileName)
	if got, err := hashFile(path); err == nil && got == want {
		return path, nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	if err := download(ctx, url, path, want, limit, opts.client()); err != nil {
		return "", err
	}
	return path, nil
}

// checkArgs validates Fetch's arguments and returns the checksum in lower
// case.
func checkArgs(url, cacheDir, fileName, sha256Hex string) (string, error) {
	if url == "" {
		return "", errors.New("download: empty URL")
	}
	if cacheDir == "" {
		return "", errors.New("download: empty cache folder")
	}
	if fileName == "" || fileName != filepath.Base(fileName) || !filepath.IsLocal(fileName) || strings.ContainsAny(fileName, `/\`) {
		return "", fmt.Errorf("download: file name %q: want a plain name, without folders", fileName)
	}
	sum := strings.ToLower(sha256Hex)
	if _, err := hex.DecodeString(sum); err != nil || len(sum) != 2*sha256.Size {
		return "", fmt.Errorf("download: checksum %q of %s: want %d hexadecimal digits of SHA-256", sha256Hex, fileName, 2*sha256.Size)
	}
	return sum, nil
}

// hashFile returns the SHA-256 of the regular file at path, in lower-case
// hexadecimal. Errors wrap fs.ErrNotExist when there is no file.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("download: %s: not a regular file", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// download GETs url into a temporary file beside path, checks its size and
// SHA-256, and renames it to path.
func download(ctx context.Context, url, path, want string, limit int64, client *http.Client) (err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: GET %s: %s", ErrStatus, url, resp.Status)
	}
	if resp.ContentLength > limit {
		return fmt.Errorf("%w: GET %s: Content-Length %d is above the %d-byte cap", ErrTooLarge, url, resp.ContentLength, limit)
	}

	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("download: GET %s: %w", url, err)
	}
	if n > limit {
		return fmt.Errorf("%w: GET %s: body is above the %d-byte cap", ErrTooLarge, url, limit)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: GET %s: SHA-256 %s, want %s", ErrChecksum, url, got, want)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	return nil
}
