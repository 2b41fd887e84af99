package nn

import "fmt"

// InitializerByName returns the initializer for a config name:
// glorot_uniform, glorot_normal, he_uniform, he_normal or zeros.
func InitializerByName(name string) (Initializer, error) {
	switch name {
	case "glorot_uniform":
		return GlorotUniform, nil
	case "glorot_normal":
		return GlorotNormal, nil
	case "he_uniform":
		return HeUniform, nil
	case "he_normal":
		return HeNormal, nil
	case "zeros":
		return Zeros, nil
	}
	return nil, fmt.Errorf("nn: unknown initializer %q (want glorot_uniform, glorot_normal, he_uniform, he_normal or zeros)", name)
}
