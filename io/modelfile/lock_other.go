//go:build !unix

package modelfile

import "os"

// renameOpen: elsewhere (Windows) an open file cannot be renamed.
const renameOpen = false

func lockTemp(*os.File) {}

// removeIfUnlocked removes nothing where there are no file locks to tell a
// dead save's file from a live one's.
func removeIfUnlocked(string) bool { return false }
