package kernels

import (
	"strings"
	"testing"
)

// TestCheckOps: each per-operation check accepts a valid call and panics
// with its operation's message on a broken one.
func TestCheckOps(t *testing.T) {
	var none *fake
	i32 := &fake{I32, []int{2, 3}}
	q8 := &fake{Q8_0, []int{4, 64}}
	attn := AttentionParams{NHeads: 2, NKVHeads: 1, HeadDim: 4}
	for _, c := range []struct {
		name, op string
		ok, bad  func()
	}{
		{"Add", "Add", func() { CheckAdd(ft(2, 3), ft(6), ft(3, 2)) }, func() { CheckAdd(ft(2, 3), ft(5), ft(6)) }},
		{"AddBias", "AddBias", func() { CheckAddBias(ft(2, 3), ft(3)) }, func() { CheckAddBias(ft(2, 3), ft(2)) }},
		{"Elementwise", "GELU", func() { CheckElementwise("GELU", ft(2, 3), ft(2, 3)) }, func() { CheckElementwise("GELU", ft(2, 3), ft(3, 2)) }},
		{"CrossEntropy", "CrossEntropy", func() { CheckCrossEntropy(ft(2), ft(2, 3), []int32{0, -1}) }, func() { CheckCrossEntropy(ft(2), ft(2, 3), []int32{0, 3}) }},
		{"RMSNorm", "RMSNorm", func() { CheckRMSNorm(ft(2, 3), none, ft(2, 3), ft(3)) }, func() { CheckRMSNorm(ft(2, 3), ft(3), ft(2, 3), ft(3)) }},
		{"LayerNormBackward", "LayerNormBackward", func() { CheckLayerNormBackward(ft(2, 3), ft(3), none, ft(2, 3), ft(2, 3), ft(3), ft(2), ft(2)) },
			func() { CheckLayerNormBackward(ft(2, 3), ft(3), none, ft(2, 3), ft(2, 3), ft(3), none, ft(2)) }},
		{"Attention", "Attention", func() { CheckAttention(ft(1, 5, 8), ft(1, 2, 5), ft(1, 5, 8), ft(1, 5, 4), ft(1, 5, 4), attn) },
			func() { CheckAttention(ft(1, 5, 8), ft(1, 2, 5), ft(1, 5, 8), ft(1, 4, 4), ft(1, 4, 4), attn) }},
		{"AttentionBackward PosStart", "AttentionBackward", func() {
			CheckAttentionBackward(ft(1, 5, 8), ft(1, 5, 4), ft(1, 5, 4), ft(1, 5, 8), ft(1, 5, 8), ft(1, 5, 4), ft(1, 5, 4), ft(1, 5, 8), ft(1, 2, 5), attn)
		}, func() {
			p := attn
			p.PosStart = 1
			CheckAttentionBackward(ft(1, 5, 8), ft(1, 6, 4), ft(1, 6, 4), ft(1, 5, 8), ft(1, 5, 8), ft(1, 6, 4), ft(1, 6, 4), ft(1, 5, 8), ft(1, 2, 5), p)
		}},
		{"CopyRows", "CopyRows", func() { CheckCopyRows(ft(2, 8, 3), ft(2, 2, 3), 6) }, func() { CheckCopyRows(ft(2, 8, 3), ft(2, 2, 3), 7) }},
		{"Copy", "Copy", func() { CheckCopy(i32, &fake{I32, []int{6}}) }, func() { CheckCopy(i32, ft(2, 3)) }},
		{"Reshape", "Reshape", func() { CheckReshape(q8, []int{2, 128}) }, func() { CheckReshape(q8, []int{16, 16}) }},
		{"FromBytes", "FromBytes", func() { CheckFromBytes(F32, make([]byte, 24), []int{2, 3}) }, func() { CheckFromBytes(F32, make([]byte, 20), []int{2, 3}) }},
		{"MatMul", "MatMul", func() { CheckMatMul(ft(2, 4), ft(2, 64), q8, false, true) }, func() { CheckMatMul(ft(2, 4), ft(2, 3), i32, false, false) }},
		{"TopK", "TopKLogProbs", func() { CheckTopK(i32, ft(2, 3), ft(2, 9), 3, 1) }, func() { CheckTopK(i32, ft(2, 3), ft(2, 9), 3, 0) }},
		{"AdamW", "AdamW", func() { CheckAdamW(ft(3), ft(3), ft(3), ft(3), AdamWParams{Step: 1}) }, func() { CheckAdamW(ft(3), ft(3), ft(3), ft(3), AdamWParams{}) }},
		{"HiddenLoss", "HiddenLoss", func() { CheckHiddenLoss(ft(2), none, ft(2, 3), ft(2, 3), HiddenMSE) }, func() { CheckHiddenLoss(ft(2), ft(3, 2), ft(2, 3), ft(2, 3), HiddenMSE) }},
	} {
		if msg := panicMsg(c.ok); msg != "" {
			t.Errorf("%s: valid call panicked: %s", c.name, msg)
		}
		if msg := panicMsg(c.bad); !strings.HasPrefix(msg, "kernels: "+c.op) {
			t.Errorf("%s: invalid call: panic %q, want a \"kernels: %s\" message", c.name, msg, c.op)
		}
	}
}
