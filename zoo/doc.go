// Package zoo ties gozoo's built-in architectures to model files: it builds a
// model from its kind and JSON config (a switch over the built-in kinds, with
// no registry and nothing in a file that can run code), saves a model as a
// safetensors file, and loads one back. LoadWeights fills a user-defined
// model from a file, reporting every name or shape mismatch at once.
package zoo
