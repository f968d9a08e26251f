package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint/gguf"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// legacyImatrix encodes entries in llama-imatrix's legacy format, values
// stored as mean*ncall as llama.cpp writes them, with its trailer.
func legacyImatrix(entries map[string][]float32, ncall int32) []byte {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	w(int32(len(entries)))
	for name, v := range entries {
		w(int32(len(name)))
		b.WriteString(name)
		w(ncall)
		w(int32(len(v)))
		for _, x := range v {
			w(x * float32(ncall))
		}
	}
	w(int32(10)) // last call
	w(int32(len("calib.txt")))
	b.WriteString("calib.txt")
	return b.Bytes()
}

func f32Bytes(v []float32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}

func TestReadImatrix(t *testing.T) {
	want := map[string][]float32{"blk.0.attn_q.weight": {1, 2, 0.5, 4}, "output.weight": {3, 0.25}}
	dir := t.TempDir()
	legacy := filepath.Join(dir, "imatrix.dat")
	if err := os.WriteFile(legacy, legacyImatrix(want, 4), 0o644); err != nil {
		t.Fatal(err)
	}
	modern := filepath.Join(dir, "imatrix.gguf")
	var tensors []gguf.Tensor
	for name, v := range want {
		sum := make([]float32, len(v))
		for j := range v {
			sum[j] = v[j] * 8
		}
		tensors = append(tensors,
			gguf.Tensor{Name: name + ".in_sum2", Type: gguf.TypeF32, Shape: []int{1, len(v)}, Data: f32Bytes(sum)},
			gguf.Tensor{Name: name + ".counts", Type: gguf.TypeF32, Shape: []int{1, 1}, Data: f32Bytes([]float32{8})})
	}
	if err := gguf.Write(modern, nil, tensors); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{legacy, modern} {
		im, err := ReadImatrix(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(im) != len(want) {
			t.Fatalf("%s: %d entries, want %d", path, len(im), len(want))
		}
		for name, v := range want {
			for j := range v {
				if im[name][j] != v[j] {
					t.Errorf("%s: %s[%d] = %g, want %g", path, name, j, im[name][j], v[j])
				}
			}
		}
	}
	bad := filepath.Join(dir, "bad.dat")
	_ = os.WriteFile(bad, []byte{2, 0, 0, 0, 5, 0, 0, 0, 'x'}, 0o644)
	if _, err := ReadImatrix(bad); err == nil || !strings.Contains(err.Error(), "bad.dat") {
		t.Errorf("truncated imatrix: error %v, want one naming the file", err)
	}
}

func TestImatrixCheck(t *testing.T) {
	cfg := llamaConfig(64, 128, 1, false)
	for _, tc := range []struct {
		name string
		im   Imatrix
		want string
	}{
		{"ok", Imatrix{"blk.0.ffn_down.weight": make([]float32, 128)}, ""},
		{"unknown name", Imatrix{"blk.7.attn_q.weight": make([]float32, 64)}, "blk.7.attn_q.weight is not a matrix of this model"},
		{"wrong width", Imatrix{"blk.0.attn_q.weight": make([]float32, 32)}, "has 32 columns, the model's has 64"},
	} {
		err := tc.im.Check(cfg)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// CollectImatrix's values are the diagonal of the GPTQ Hessian (H/2): the
// same capture, one statistic.
func TestCollectImatrixIsHessianDiagonal(t *testing.T) {
	b := cpu.New(0)
	cfg := llamaConfig(64, 128, 2, false)
	src := model.EncodeParams("random", cfg, b, model.RandomParams(cfg, 3), kernels.F32)
	calib := [][]int32{{1, 5, 9, 40, 7, 3, 2, 8}, {1, 100, 200, 6, 5, 4, 3, 2}}
	im, err := CollectImatrix(cfg, src, b, calib)
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Check(cfg); err != nil {
		t.Fatal(err)
	}
	name := "blk.1.ffn_down.weight"
	hs, err := capture(cfg, &captureBackend{Backend: b}, src, []TensorPlan{{Name: name, Shape: []int{64, 128}}}, calib, false)
	if err != nil {
		t.Fatal(err)
	}
	h := hs[name].matrix()
	for i, v := range im[name] {
		if d := h[i*128+i] / 2; math.Abs(float64(v)-d) > 1e-5*math.Abs(d)+1e-9 {
			t.Fatalf("%s column %d: %g, Hessian diagonal/2 %g", name, i, v, d)
		}
	}
	if len(im) != 7*2+1 {
		t.Errorf("%d imatrix entries, want 7 matrices per layer and the classifier", len(im))
	}
	// The weighted encode changes Q4_0 bytes; a wrong-width entry is an error.
	m, _ := ParseMethod("q4_0")
	_, plain, _ := Apply(cfg, src, m, Options{})
	_, weighted, err := Apply(cfg, src, m, Options{Imatrix: im})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := plain.Lookup(name)
	c, _ := weighted.Lookup(name)
	if bytes.Equal(a.Data, c.Data) {
		t.Errorf("%s: the imatrix did not change the Q4_0 encoding", name)
	}
	if _, _, err := Apply(cfg, src, m, Options{Imatrix: Imatrix{name: make([]float32, 3)}}); err == nil {
		t.Errorf("Apply with a wrong-width imatrix: no error")
	}
}

// gptq-q4_0 is GPTQ onto llama.cpp's Q4_0 grid: an ordinary GGUF type whose
// blocks decode exactly as the I4S_G32 blocks GPTQMatrix writes.
func TestGPTQOntoQ4_0(t *testing.T) {
	m, err := ParseMethod("gptq-q4_0")
	if err != nil || !m.GPTQ || m.Base != kernels.Q4_0 || m.Family != FamilyGGUF || m.FileType() != "q4_0" {
		t.Fatalf("ParseMethod(gptq-q4_0) = %+v, %v", m, err)
	}
	b := cpu.New(0)
	cfg := llamaConfig(64, 128, 2, false)
	src := model.EncodeParams("random", cfg, b, model.RandomParams(cfg, 5), kernels.F32)
	calib := [][]int32{{1, 5, 9, 40, 7, 3, 2, 8}, {1, 100, 200, 6, 5, 4, 3, 2}}
	_, qs, err := Apply(cfg, src, m, Options{Backend: b, Calib: calib})
	if err != nil {
		t.Fatal(err)
	}
	name := "blk.1.attn_q.weight"
	q, _ := qs.Lookup(name)
	if q.DType != kernels.Q4_0 {
		t.Fatalf("%s stored as %s, want Q4_0", name, q.DType)
	}
	asQ4, _ := Float32(q)
	q.DType = kernels.I4S_G32
	asI4S, _ := Float32(q)
	for i := range asQ4 {
		if asQ4[i] != asI4S[i] {
			t.Fatalf("element %d: Q4_0 decodes %g, I4S_G32 %g", i, asQ4[i], asI4S[i])
		}
	}
}

// A GPTQ model exported as safetensors is written in the GPTQ layout
// (qweight, scales, qzeros, g_idx, quantization_config) and reads back with
// logits identical to the in-memory model's; a type the layout cannot hold
// is an error that writes nothing.
func TestGPTQSafetensorsRoundTrip(t *testing.T) {
	b := cpu.New(0)
	cfg := llamaConfig(64, 128, 2, false)
	src := model.EncodeParams("random", cfg, b, model.RandomParams(cfg, 9), kernels.F32)
	calib := [][]int32{{1, 5, 9, 40, 7, 3, 2, 8}, {1, 100, 200, 6, 5, 4, 3, 2}}
	m, _ := ParseMethod("gptq-int4-g32")
	_, qs, err := Apply(cfg, src, m, Options{Backend: b, Calib: calib})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "hf")
	rt, err := ExportHF(dir, cfg, qs, nil, kernels.F32, b)
	if err != nil {
		t.Fatal(err)
	}
	if rt.MaxLogitDiff != 0 {
		t.Errorf("reloaded GPTQ model: max |logit difference| %g, want 0", rt.MaxLogitDiff)
	}
	js, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	for _, want := range []string{`"quant_method": "gptq"`, `"group_size": 32`, `"desc_act": false`, `"sym": true`, `"bits": 4`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("config.json lacks %s:\n%s", want, js)
		}
	}
	st, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	for _, want := range []string{"model.layers.0.self_attn.q_proj.qweight", "q_proj.scales", "q_proj.qzeros", "q_proj.g_idx"} {
		if !bytes.Contains(st, []byte(want)) {
			t.Errorf("model.safetensors lacks %s", want)
		}
	}
	// Two group sizes do not fit one quantization_config: an error, and
	// no directory.
	po := PlanOptions{Overrides: []Override{{Pattern: "blk.0.ffn_up.weight", DType: kernels.I4S_G64}}}
	_, mixed, err := Apply(cfg, src, m, Options{Backend: b, Calib: calib, Plan: po})
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	if _, err := ExportHF(bad, cfg, mixed, nil, kernels.F32, b); err == nil || !strings.Contains(err.Error(), "one group_size") {
		t.Errorf("mixed group sizes: error %v", err)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Errorf("a failed GPTQ export left %s behind", bad)
	}
}
