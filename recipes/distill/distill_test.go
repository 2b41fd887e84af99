package distill

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gozoo/gozoo/modelcard"
	"github.com/gozoo/gozoo/predict"
)

func TestStudent(t *testing.T) {
	mnist := modelcard.MNIST([]int{1, 28, 28})
	m, card, err := Student("mlp:784-32-10", mnist, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind() != "mlp" || len(m.Params()) != 4 || card.Shape[0] != 784 || card.Dataset != "mnist" || len(card.ClassNames) != 10 {
		t.Errorf("student %s %v, card %+v", m.Kind(), m.InputShape(), card)
	}
	if mnist.Shape[0] != 1 {
		t.Error("Student changed the teacher's card")
	}
	if m, card, err = Student("lenet5", mnist, "", 1); err != nil || m.Kind() != "lenet5" || len(card.Shape) != 3 {
		t.Errorf("preset student: %v", err)
	}
	// A preset student learns the teacher's dataset where it takes it.
	if _, card, err = Student("mlp", modelcard.FashionMNIST([]int{1, 28, 28}), "", 1); err != nil || !reflect.DeepEqual(card, modelcard.FashionMNIST([]int{784})) {
		t.Errorf("mlp student of a Fashion-MNIST teacher: card %+v, %v", card, err)
	}
	for arch, want := range map[string]string{
		"mlp:100-10":  "takes 100 inputs, the teacher's data has 784",
		"mlp:784":     "at least inputs and outputs",
		"mlp:784-x-1": "positive widths",
		"resnet":      "is not a preset",
	} {
		if _, _, err := Student(arch, mnist, "", 1); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", arch, err, want)
		}
	}
}

// A quick run on 5,000 images: the teacher's soft targets are proper
// distributions, the student learns, and a teacher with other classes is
// refused.
func TestDistillQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	ctx := context.Background()
	teacher, tcard, err := Student("mlp:784-64-10", modelcard.MNIST([]int{784}), "", 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TrainAlone(ctx, teacher, tcard, Settings{Epochs: 3, Limit: 5000}); err != nil {
		t.Fatal(err)
	}
	data, _ := tcard.Data("")
	soft, err := softTargets(ctx, teacher, tcard, data.Test, data.Test, 4)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float32, 20)
	for i := range 50 {
		soft.Target(i, y)
		var ones, sum float64
		for j := range 10 {
			ones += float64(y[j])
			sum += float64(y[10+j])
		}
		if ones != 1 || y[soft.Label(i)] != 1 || math.Abs(sum-1) > 1e-5 {
			t.Fatalf("target %d: %v", i, y)
		}
	}
	student, scard, err := Student("mlp:784-16-10", tcard, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Distill(ctx, teacher, tcard, student, scard, Settings{Epochs: 3, Limit: 5000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.StudentAccuracy < 0.75 || rep.TeacherAccuracy < 0.88 || rep.Temperature != 4 || rep.Alpha != 0.9 {
		t.Errorf("report %+v", rep)
	}
	other, ocard, _ := Student("mlp:784-16-5", tcard, "", 1)
	ocard.ClassNames = ocard.ClassNames[:5]
	if _, err := Distill(ctx, teacher, tcard, other, ocard, Settings{Epochs: 1, Limit: 100}); err == nil || !strings.Contains(err.Error(), "the teacher has 10 classes, the student 5") {
		t.Errorf("mismatched classes: %v", err)
	}
	if _, err := Distill(ctx, teacher, tcard, student, scard, Settings{Temperature: -1}); err == nil {
		t.Error("negative temperature: no error")
	}
}

// Each sample's soft target is the teacher's own softmax at T for that
// sample, whatever the teacher's input shape (a LeNet-5 teacher of a flat
// MLP student).
func TestSoftTargetsAreTheTeachers(t *testing.T) {
	if testing.Short() {
		t.Skip("reads MNIST")
	}
	ctx := context.Background()
	teacher, tcard, err := Student("lenet5", modelcard.MNIST([]int{784}), "", 3)
	if err != nil {
		t.Fatal(err)
	}
	_, scard, _ := Student("mlp:784-8-10", tcard, "", 1)
	tdata, _ := tcard.Data("")
	sdata, _ := scard.Data("")
	if err := limit(tdata, 2100); err != nil {
		t.Fatal(err)
	}
	if err := limit(sdata, 2100); err != nil {
		t.Fatal(err)
	}
	soft, err := softTargets(ctx, teacher, tcard, tdata.Train, sdata.Train, 3)
	if err != nil {
		t.Fatal(err)
	}
	p, err := predict.New(teacher, tcard, predict.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	x := make([]float32, 784)
	got := make([]float32, 20)
	for _, i := range []int{0, 1, 1023, 1024, 2099} {
		tdata.Train.Input(i, x)
		logits, err := p.Predict(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		want := appendSoftmax(nil, logits, 3)
		soft.Target(i, got)
		for j := range want {
			if math.Abs(float64(got[10+j]-want[j])) > 1e-6 {
				t.Fatalf("sample %d: soft target %v, the teacher says %v", i, got[10:], want)
			}
		}
	}
}
