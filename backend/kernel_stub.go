package backend

// Kernel names the matrix kernel in use. (stub, replaced on merge)
func Kernel() string { return Name() }
