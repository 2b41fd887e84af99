// Package distill trains a small student model from a large teacher's
// softened outputs (knowledge distillation, Hinton, Vinyals and Dean 2015):
// the student minimises (1-alpha) times the cross-entropy with the hard
// labels plus alpha*T^2 times the KL divergence from the teacher's softmax
// at temperature T (nn.DistillationLoss). The teacher runs forward only, once
// over the training set.
//
//	teacher, tcard, err := zoo.Load("lenet/model.safetensors")
//	student, scard, err := distill.Student("mlp:784-32-10", tcard, "", 1)
//	rep, err := distill.Distill(ctx, teacher, tcard, student, scard, distill.Settings{Epochs: 10})
//	err = zoo.Save("student/model.safetensors", student, scard)
package distill
