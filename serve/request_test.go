package serve

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// requestCorpus are request bodies of every kind: the common shape that
// scanRequest reads, that shape with white space, escapes, other keys,
// duplicates and wrong types that it must leave to encoding/json, and
// broken JSON.
var requestCorpus = []string{
	`{"id":"t1","inputs":[{"data":[0,0.5,1,0.25],"datatype":"FP32","name":"input","shape":[1,4]}]}`,
	`{"inputs":[{"name":"input","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]}],"outputs":[{"name":"class"},{"name":"logits"}]}`,
	" \n{ \"id\" : \"x\" ,\r\n \"inputs\" : [ { \"name\" : \"a\" , \"shape\" : [ 1 , 4 ] , \"datatype\" : \"UINT8\" , \"data\" : [ 1 , 2 , 3 , 4 ] } ] } \t",
	`{"inputs":[]}`, `{"outputs":[]}`, `{}`, `{"inputs":[{}]}`, `{"inputs":[{"shape":[]}]}`,
	`{"inputs":[{"name":"input","shape":[-1,4],"datatype":"FP32","data":[1]}]}`,
	`{"inputs":[{"name":"input","shape":[-0,4],"datatype":"FP32","data":[1]}]}`,
	`{"inputs":[{"name":"input","shape":[2147483648,4],"datatype":"FP32","data":[1]}]}`,
	`{"inputs":[{"name":"input","shape":[999999999999999999,4],"datatype":"FP32","data":[1]}]}`,
	`{"inputs":[{"name":"input","shape":[9999999999999999999,4],"datatype":"FP32","data":[1]}]}`,
	`{"inputs":[{"name":"input","shape":[1.0,4],"datatype":"FP32","data":[1]}]}`,
	`{"inputs":[{"name":"input","shape":[1e2,4],"datatype":"FP32","data":[1]}]}`,
	`{"inputs":[{"name":"input","shape":[01,4],"datatype":"FP32","data":[1]}]}`,
	`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":null}]}`,
	`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":"1,2"}]}`,
	`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,"2",3,4]}]}`,
	`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,{},3,4]}]}`,
	`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]]}]}`,
	`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1.,01,+3,NaN]}]}`,
	`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4,]}]}`,
	`{"inputs":[{"name":"in\"put","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}`,
	`{"inputs":[{"name":"in\u0070ut","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}`,
	`{"inputs":[{"name":"ïnput","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}`,
	"{\"inputs\":[{\"name\":\"in\xffput\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}",
	`{"inputs":[{"name":"input","name":"again","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}`,
	`{"inputs":[{"Name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}`,
	`{"INPUTS":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}`,
	`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","parameters":{},"data":[1,2,3,4]}]}`,
	`{"id":"1","id":"2","inputs":[]}`, `{"inputs":[],"inputs":[]}`, `{"outputs":[],"outputs":[]}`,
	`{"id":null}`, `{"id":5}`, `{"inputs":null}`, `{"inputs":{}}`, `{"outputs":[{"name":"a","name":"b"}]}`,
	`{"outputs":[{"name":"a","binary_data":false}]}`, `{"outputs":[{}]}`, `{"outputs":[null]}`,
	`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}],"parameters":{"a":1}}`,
	`{"id":"1"} {"id":"2"}`, `{"id":"1"}x`, `{"id":"1",}`, `{"id":"1"`, `{"id" "1"}`, `{,}`, `[1, 2]`,
	``, `   `, `{"inputs": [`, `{"inputs":[{"name":"input","data":[[[`, `{"inputs":[{"data":[1]]]}]}`,
}

// checkScan is the property scanRequest keeps: a body it takes,
// encoding/json decodes to the same request, unless a data array is not
// JSON, which tensorData then refuses.
func checkScan(t *testing.T, body []byte) (taken bool) {
	var fast, slow inferRequest
	if !scanRequest(body, &fast) {
		return false
	}
	if err := unmarshalOnce(body, &slow); err != nil {
		for _, in := range fast.Inputs {
			if !json.Valid(in.Data) {
				d := tensorData{buf: in.Data, shape: []int{len(in.Data)}, want: len(in.Data)}
				if d.parse() == nil {
					t.Fatalf("%q: tensorData accepts data %q, which is not JSON", body, in.Data)
				}
				return true
			}
		}
		t.Fatalf("%q: scanRequest takes it, encoding/json refuses it: %v", body, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: scanRequest gives %+v, encoding/json %+v", body, fast, slow)
	}
	return true
}

func TestScanRequestIsEncodingJSON(t *testing.T) {
	x := scaled(digitPixels(0))
	common := []string{
		requestCorpus[0], requestCorpus[1], requestCorpus[2],
		inferBody("FP32", []int{1, 784}, x),
		inferBody("FP32", []int{1, 1, 28, 28}, x, "class", "probabilities"),
	}
	for _, body := range common {
		if !checkScan(t, []byte(body)) {
			t.Errorf("scanRequest leaves a common request to encoding/json: %.80q", body)
		}
	}
	taken := 0
	for _, body := range requestCorpus {
		if checkScan(t, []byte(body)) {
			taken++
		}
		// decodeRequest gives encoding/json's answer wherever the scanner
		// declines, and an error exactly when encoding/json has one (but
		// for data arrays that are not JSON, which tensorData refuses).
		var got, want inferRequest
		err := decodeRequest([]byte(body), &got)
		werr := unmarshalOnce([]byte(body), &want)
		if err != nil && werr == nil || err == nil && werr != nil && !strings.Contains(body, `"data"`) {
			t.Fatalf("%q: decodeRequest says %v, encoding/json %v", body, err, werr)
		}
	}
	if taken < 10 || taken == len(requestCorpus) {
		t.Fatalf("scanRequest took %d of %d bodies", taken, len(requestCorpus))
	}
}

func FuzzScanRequest(f *testing.F) {
	for _, body := range requestCorpus {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkScan(t, body)
	})
}
