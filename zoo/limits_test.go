package zoo

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/io/modelfile"
)

// ParamCount, computed from a config alone, matches what New allocates for
// every kind, defaults, biasless convolutions and BatchNorm statistics
// included.
func TestParamCountMatchesTheModel(t *testing.T) {
	for _, tc := range []struct{ kind, config string }{
		{"mlp", `{"inputs":6,"hidden":[4],"outputs":3}`},
		{"mlp", `{"inputs":784,"hidden":[],"outputs":10}`},
		{"mlp", `{"inputs":5,"hidden":[7,9,2],"outputs":1,"activation":"tanh"}`},
		{"lenet5", `{}`},
		{"lenet5", `{"input_shape":[3,32,30],"classes":4}`},
		{"cifar-vgg", `{}`},
		{"cifar-vgg", `{"input_shape":[1,17,9],"classes":3,"channels":[5,6],"hidden":11}`},
		{"sequential", `{"input_shape":[1,12,12],"layers":[
			{"type":"Conv2D","name":"conv","config":{"in_channels":1,"out_channels":4,"kernel":[3,3],"stride":[1,1],"padding":[1,1],"bias":false}},
			{"type":"Conv2D","name":"conv2","config":{"in_channels":4,"out_channels":2,"kernel":[3,3],"stride":[1,1],"padding":[1,1],"bias":true}},
			{"type":"BatchNorm2D","name":"bn","config":{"size":2}},
			{"type":"MaxPool2D","name":"pool","config":{"kernel":[2,2],"stride":[2,2],"padding":[0,0]}},
			{"type":"Flatten","name":"flat"},
			{"type":"Dense","name":"out","config":{"inputs":72,"outputs":3}},
			{"type":"BatchNorm1D","name":"bn2","config":{"size":3}}]}`},
	} {
		m, err := New(tc.kind, []byte(tc.config), rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatalf("%s %s: %v", tc.kind, tc.config, err)
		}
		have := 0
		for _, p := range m.Params() {
			have += len(p.Data())
		}
		n, err := ParamCount(tc.kind, []byte(tc.config))
		if err != nil || n != have {
			t.Errorf("%s %s: ParamCount %d, %v; the model has %d", tc.kind, tc.config, n, err, have)
		}
	}
}

// A model file of about 438 KB (a 784-128-64-10 MLP) whose config claims a
// huge model of each kind is refused with an error before the model is
// allocated: the heap grows by the file, not by the claim.
func TestSmallFileCannotClaimAHugeModel(t *testing.T) {
	small, err := New("mlp", []byte(`{"inputs":784,"hidden":[128,64],"outputs":10}`), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	base, err := File(small, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := fileValues(base) * 4; n < 430_000 || n > 440_000 {
		t.Fatalf("the file's tensors hold %d bytes, want about 438 KB", n)
	}
	for _, tc := range []struct{ name, kind, config, want string }{
		// 785*12000 + 12001*12000 + 12001*10 = 153,552,010 values: 614 MB, under the 2^28 cap.
		{"mlp under the cap", "mlp", `{"inputs":784,"hidden":[12000,12000],"outputs":10}`, "describes 153552010 parameter values, the file holds 109386"},
		{"mlp over the cap", "mlp", `{"inputs":784,"hidden":[100000,100000],"outputs":10}`, "more than 268435456 parameters"},
		{"deep mlp", "mlp", `{"inputs":784,"hidden":[4000,4000,4000,4000,4000,4000,4000,4000,4000],"outputs":10}`, "the file holds 109386"},
		{"vgg", "cifar-vgg", `{"channels":[512,512,512,512],"hidden":4096}`, "the file holds 109386"},
		{"vgg over the cap", "cifar-vgg", `{"channels":[4096,4096,4096],"hidden":4096}`, "more than 268435456 parameters"},
		{"lenet5", "lenet5", `{"input_shape":[1,600,600]}`, "the file holds 109386"},
		{"lenet5 over the cap", "lenet5", `{"input_shape":[1,1000000,1000000]}`, "more than 268435456 parameters"},
		{"sequential", "sequential", `{"input_shape":[8192],"layers":[{"type":"Dense","name":"d","config":{"inputs":8192,"outputs":8192}}]}`, "the file holds 109386"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &modelfile.File{Tensors: base.Tensors, Metadata: map[string]string{KeyKind: tc.kind, KeyConfig: tc.config, KeyVersion: Version}}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, _, err := FromFile(f)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 50<<20 {
				t.Errorf("refusing the file allocated %d MB", grew>>20)
			}
		})
	}
}
