package quant

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/distill-dev/distill/kernels"
)

// Method is a parsed quantization method name (see the package
// documentation for the list).
type Method struct {
	Name string        // as given, lower case
	Base kernels.DType // the type of quantized matrices before per-tensor rules
	// Family is "gguf" for llama.cpp's types and rules (q8_0 ... q4_k_m),
	// "distill" for int8/int4/gptq and "float" for f32/f16/bf16.
	Family string
	// Mix names the llama.cpp mix (LLAMA_FTYPE_MOSTLY_*) whose per-tensor
	// rules apply: q2_k q3_k_m q4_k_s q4_k_m q5_k_s q5_k_m, or "" for one
	// type throughout (besides the classifier rule of the GGML family).
	Mix  string
	GPTQ bool // calibrated GPTQ instead of round to nearest
	// ActOrder visits columns by decreasing Hessian diagonal (GPTQ only).
	ActOrder bool
	// Types, when set, fixes the type of the named tensors over every rule
	// (the quality-budget planner's choice, PlanBudget); PlanOptions'
	// overrides still apply after it.
	Types map[string]kernels.DType
}

// Method families.
const (
	FamilyGGUF    = "gguf"
	FamilyDistill = "distill"
	FamilyFloat   = "float"
)

// MethodNames lists the method names ParseMethod accepts (int4 and gptq
// take any of the group sizes 32, 64 and 128).
var MethodNames = []string{
	"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q3_k", "q4_k", "q5_k", "q6_k",
	"q2_k", "q3_k_m", "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m",
	"int8", "int4-g32", "int4-g64", "int4-g128", "int4a-g32", "int4a-g64", "int4a-g128",
	"gptq-int4", "gptq-int4-g32", "gptq-int4-g64", "gptq-int4-g128", "gptq-int4-g128-act",
	"gptq-q8_0", "gptq-q4_0", "gptq-q4_1", "gptq-q5_0", "gptq-q5_1", "gptq-q4_k", "gptq-q5_k", "gptq-q6_k",
	"gptq-q4_k_s", "gptq-q4_k_m", "gptq-q5_k_s", "gptq-q5_k_m", "gptq-q4_0-act", "gptq-q4_k_m-act",
}

// ParseMethod parses a method name: f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1
// q3_k q4_k q5_k q6_k (one type), the llama.cpp mixes q2_k q3_k_m q4_k_s
// q4_k_m q5_k_s q5_k_m, int8 int4-gG int4a-gG gptq-int4[-gG][-act],
// G in {32, 64, 128}, and gptq-TYPE[-act] for a GGML type or mix whose
// types GPTQ can write (GPTQTypes: not Q2_K or Q3_K): GPTQ onto llama.cpp's
// grids, an ordinary GGUF.
func ParseMethod(name string) (Method, error) {
	s := strings.ToLower(strings.TrimSpace(name))
	m := Method{Name: s}
	simple := map[string]struct {
		dt  kernels.DType
		fam string
	}{
		"f32": {kernels.F32, FamilyFloat}, "f16": {kernels.F16, FamilyFloat}, "bf16": {kernels.BF16, FamilyFloat},
		"q8_0": {kernels.Q8_0, FamilyGGUF}, "q4_0": {kernels.Q4_0, FamilyGGUF}, "q4_1": {kernels.Q4_1, FamilyGGUF},
		"q5_0": {kernels.Q5_0, FamilyGGUF}, "q5_1": {kernels.Q5_1, FamilyGGUF},
		"q3_k": {kernels.Q3_K, FamilyGGUF}, "q4_k": {kernels.Q4_K, FamilyGGUF}, "q5_k": {kernels.Q5_K, FamilyGGUF},
		"q6_k": {kernels.Q6_K, FamilyGGUF},
		"int8": {kernels.I8CH, FamilyDistill},
	}
	if v, ok := simple[s]; ok {
		m.Base, m.Family = v.dt, v.fam
		return m, nil
	}
	if dt, ok := mixBase[s]; ok {
		m.Base, m.Family, m.Mix = dt, FamilyGGUF, s
		return m, nil
	}
	rest := s
	if r, ok := strings.CutPrefix(rest, "gptq-"); ok {
		m.GPTQ, rest = true, r
		if r, ok := strings.CutSuffix(rest, "-act"); ok {
			m.ActOrder, rest = true, r
		}
		if rest == "int4" {
			rest = "int4-g128"
		}
		if g, err := ParseMethod(rest); err == nil && g.Family == FamilyGGUF {
			// GPTQ onto llama.cpp's grids: the GGUF method's plan, every
			// matrix it stores in a GPTQ type encoded by GPTQ.
			for _, dt := range g.gridTypes() {
				if !canGPTQ(dt) {
					return Method{}, fmt.Errorf("quant: method %q: %s stores %s, which GPTQ cannot write (it writes %s); use %s, or GPTQ onto another type",
						name, g.Name, dt, typeNames(GPTQTypes()[:8]), g.Name)
				}
			}
			g.Name, g.GPTQ, g.ActOrder = s, true, m.ActOrder
			return g, nil
		}
	}
	asym := false
	switch {
	case strings.HasPrefix(rest, "int4a-g"):
		asym, rest = true, strings.TrimPrefix(rest, "int4a-g")
	case strings.HasPrefix(rest, "int4-g"):
		rest = strings.TrimPrefix(rest, "int4-g")
	default:
		return Method{}, fmt.Errorf("quant: unknown method %q (want one of %s)", name, strings.Join(MethodNames, ", "))
	}
	g, err := strconv.Atoi(rest)
	dt, ok := int4Type(g, asym)
	if err != nil || !ok {
		return Method{}, fmt.Errorf("quant: method %q: group size %q is not 32, 64 or 128", name, rest)
	}
	if m.GPTQ && asym {
		return Method{}, fmt.Errorf("quant: method %q: GPTQ writes the symmetric int4 layout only", name)
	}
	m.Base, m.Family = dt, FamilyDistill
	return m, nil
}

// gridTypes lists the block types a GGML method's plan can choose for a
// matrix whose rows fit its blocks: the base type, the mix's other types
// and the classifier's Q6_K.
func (m Method) gridTypes() []kernels.DType {
	out := []kernels.DType{m.Base}
	switch m.Mix {
	case "q2_k":
		out = append(out, kernels.Q3_K, kernels.Q4_K)
	case "q3_k_m":
		out = append(out, kernels.Q4_K, kernels.Q5_K)
	case "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m":
		out = append(out, kernels.Q5_K, kernels.Q6_K)
	}
	if m.Base != kernels.Q8_0 {
		out = append(out, kernels.Q6_K)
	}
	return out
}

func typeNames(dts []kernels.DType) string {
	s := make([]string, len(dts))
	for i, dt := range dts {
		s[i] = dt.String()
	}
	return strings.Join(s, " ")
}

// mixBase is the default type of each llama.cpp mix (the type of the
// tensors its rules do not change).
var mixBase = map[string]kernels.DType{
	"q2_k": kernels.Q2_K, "q3_k_m": kernels.Q3_K, "q4_k_s": kernels.Q4_K, "q4_k_m": kernels.Q4_K,
	"q5_k_s": kernels.Q5_K, "q5_k_m": kernels.Q5_K,
}

// int4Type returns the int4 group dtype of group size g.
func int4Type(g int, asym bool) (kernels.DType, bool) {
	sym := map[int]kernels.DType{32: kernels.I4S_G32, 64: kernels.I4S_G64, 128: kernels.I4S_G128}
	as := map[int]kernels.DType{32: kernels.I4A_G32, 64: kernels.I4A_G64, 128: kernels.I4A_G128}
	if asym {
		dt, ok := as[g]
		return dt, ok
	}
	dt, ok := sym[g]
	return dt, ok
}

// FileMethods lists the method names a GGUF file can hold (the GGML and
// float families), for help texts and errors.
func FileMethods() string {
	var names []string
	for _, n := range MethodNames {
		if m, err := ParseMethod(n); err == nil && m.Family != FamilyDistill {
			names = append(names, n)
		}
	}
	return strings.Join(names, " ")
}

// GroupSize is the number of inputs that share one scale in the method's
// base type (the whole row, 0, for int8; 1 for float types).
func (m Method) GroupSize() int { return m.Base.BlockSize() }

// FileType is the llama.cpp file type name (general.file_type) of files
// the method writes: its name, for GPTQ onto a GGUF grid that grid's (or
// mix's), and "" (the GGUF writer's guess from the tensors) for a planned
// mix.
func (m Method) FileType() string {
	if m.Types != nil {
		return "" // a planned mix: the writer names the most common type
	}
	if m.GPTQ && m.Family == FamilyGGUF {
		if m.Mix != "" {
			return m.Mix
		}
		return strings.ToLower(m.Base.String())
	}
	return m.Name
}

// String returns the method's name.
func (m Method) String() string { return m.Name }
