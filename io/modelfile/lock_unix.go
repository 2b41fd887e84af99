//go:build unix

package modelfile

import (
	"os"
	"syscall"
)

// renameOpen: Unix renames an open file, so WriteAtomic renames before it
// closes and the temporary file stays locked until it has its final name.
const renameOpen = true

// lockTemp takes an exclusive lock on a temporary file being written. The
// lock goes with the process: a killed save leaves its file unlocked.
func lockTemp(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) // best effort
}

// removeIfUnlocked removes path if no process holds a lock on it. A lock
// that cannot be taken for any reason (held, or unsupported by the file
// system) keeps the file.
func removeIfUnlocked(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close() // read-only
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return false
	}
	return os.Remove(path) == nil
}
