package recipe_test

import (
	"fmt"

	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/recipe"
)

func ExampleParse() {
	src := []byte(`
teacher: {path: stories260K.bin}
data: {train: train.txt, seq_len: 128}
student: {every_k: 2}
training: {tokens: 1000000, batch_size: 16}
quantization: {methods: [q8_0, {method: int4-g128, asymmetric: true}]}
gates: {quant_ppl_delta_max: 0.05, methods: {q8_0: {quant_ppl_delta_max: 0.005}}}
`)
	r, err := recipe.Parse("tiny.yaml", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	// A stories260K-shaped teacher, as the runner's hook would report it.
	teacher := recipe.TeacherInfo{Config: model.Config{Arch: model.ArchLlama, NLayers: 5, Dim: 64, NHeads: 8, NKVHeads: 4, HiddenDim: 172,
		VocabSize: 512, MaxSeqLen: 512, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}}
	sc, layers, err := r.Student.Resolve(teacher)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("name:", r.Name, "steps:", r.Steps(), "loss:", r.Distillation.Loss)
	fmt.Println("student layers:", layers, "params:", sc.NumParams(), "of", teacher.Config.NumParams())
	for _, m := range r.Quantization.Methods {
		fmt.Println(m.Label(), "delta max:", *r.Gates.ForMethod(m.Label()).QuantPPLDeltaMax)
	}
	// Output:
	// name: tiny steps: 489 loss: mix
	// student layers: [1 3] params: 123712 of 260032
	// q8_0 delta max: 0.005
	// int4-g128-asym delta max: 0.05
}

func ExampleRecipe_Validate() {
	src := []byte(`teacher: {path: t.bin}
data: {train: train.txt}
student: {dim: 100, n_heads: 6}
distillation: {loss: kl, alpha: 0.5, temperature: 0}
training: {steps: 100}
gates: {methods: {q4_k_m: {size_max_mb: 1}}}
`)
	r, err := recipe.Parse("bad.yaml", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Validate(recipe.ValidateContext{SkipFiles: true}))
	// Output:
	// bad.yaml:3:16: student.dim: 100 is not a multiple of n_heads 6
	// bad.yaml:4:33: distillation.alpha: only used with loss mix
	// bad.yaml:4:51: distillation.temperature: 0 must be > 0
	// bad.yaml:6:19: gates.methods.q4_k_m: no quantization method "q4_k_m" (there are none)
}
