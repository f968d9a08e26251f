package checkpoint

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/distill-dev/distill/model"
)

// ParseHFConfig maps an HF config.json onto a Config and validates it. The
// family is the one whose HF.Architectures holds an "architectures" entry
// (or whose HF.ModelType is "model_type" when there is none), and the keys
// read are its HF.Config keys, absent ones taking HF's defaults. A RoPE
// family gets the pairing its HF checkpoints are stored for (HF.RopeOrder).
func ParseHFConfig(data []byte) (model.Config, error) {
	c, err := parseHFConfig(data)
	if err != nil {
		return model.Config{}, fmt.Errorf("checkpoint: config.json: %w", err)
	}
	return c, nil
}

func parseHFConfig(data []byte) (model.Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return model.Config{}, err
	}
	h := hfJSON{raw: raw}
	var archs []string
	var modelType string
	h.get("architectures", &archs)
	h.get("model_type", &modelType)
	if h.err != nil {
		return model.Config{}, h.err
	}
	fam := hfFamily(archs, modelType)
	if fam == nil {
		var known []string
		for _, f := range model.Families() {
			known = append(known, f.HF.Architectures...)
		}
		return model.Config{}, fmt.Errorf("unknown architecture %v (model_type %q); supported: %s", archs, modelType, strings.Join(known, ", "))
	}
	k := fam.HF.Config
	for _, r := range k.Refused {
		var on bool
		if json.Unmarshal(raw[r.Key], &on) == nil && on {
			return model.Config{}, fmt.Errorf("%s", r.Why)
		}
	}
	if k.Act != "" {
		var act string
		if h.get(k.Act, &act) && !slices.Contains(k.ActValues, act) {
			return model.Config{}, fmt.Errorf("%s %q is not supported (want %s)", k.Act, act, strings.Join(k.ActValues, " or "))
		}
	}
	c := model.Config{Arch: fam.Name}
	c.Dim = h.int(k.Dim, k.DefaultDim)
	c.NLayers = h.int(k.Layers, k.DefaultLayers)
	c.NHeads = h.int(k.Heads, k.DefaultHeads)
	c.NKVHeads = h.int(k.KVHeads, c.NHeads)
	c.HiddenDim = h.int(k.Hidden, k.HiddenPerDim*c.Dim)
	c.MaxSeqLen = h.int(k.MaxSeqLen, h.int(k.MaxSeqLenAlt, k.DefaultMaxSeqLen))
	c.VocabSize = h.int("vocab_size", k.DefaultVocab)
	c.NormEps = float32(h.float(k.NormEps, k.DefaultNormEps))
	c.TiedEmbeddings = k.DefaultTied
	h.get("tie_word_embeddings", &c.TiedEmbeddings)
	if fam.Tied == model.TiedAlways && !c.TiedEmbeddings {
		return model.Config{}, fmt.Errorf("tie_word_embeddings false is not supported for %s", fam.Name)
	}
	if err := hfHeadDim(&h, k, &c); err != nil {
		return model.Config{}, err
	}
	if fam.Pos == model.RoPE {
		c.RopeTheta = float32(h.float(k.RopeTheta, k.DefaultRopeTheta))
		c.RopeStyle = fam.HF.RopeOrder
	}
	if rs, ok := raw["rope_scaling"]; ok && string(rs) != "null" {
		if err := parseRopeScaling(rs, &c.RopeScaling); err != nil {
			return model.Config{}, err
		}
		if c.RopeScaling.Kind != "" {
			if err := fam.CheckFeature(model.Feature("rope_scaling:" + c.RopeScaling.Kind)); err != nil {
				return model.Config{}, fmt.Errorf("rope_scaling %s: %w", rs, err)
			}
		}
		if c.RopeScaling.Kind == model.RopeScalingDynamic {
			// HF scales past max_position_embeddings, with no limit;
			// distill's context is the one the factor stretches it to.
			c.RopeScaling.OriginalMaxSeqLen = c.MaxSeqLen
			c.MaxSeqLen = max(c.MaxSeqLen, int(float64(c.RopeScaling.Factor)*float64(c.MaxSeqLen)))
		}
	}
	// sliding_window counts only where the family has one; Qwen's configs
	// carry a value with use_sliding_window false, which transformers
	// ignores (Qwen2Config sets it to None), and so does distill.
	var useWindow = true
	h.get("use_sliding_window", &useWindow)
	if c.SlidingWindow = h.int("sliding_window", 0); c.SlidingWindow != 0 && useWindow {
		if err := fam.CheckFeature(model.FeatureSlidingWindow); err != nil {
			return model.Config{}, fmt.Errorf("sliding_window %d: %w", c.SlidingWindow, err)
		}
	} else {
		c.SlidingWindow = 0
	}
	if h.err != nil {
		return model.Config{}, h.err
	}
	var err error
	if c.BOS, err = tokenID(raw["bos_token_id"]); err != nil {
		return model.Config{}, fmt.Errorf("bos_token_id: %w", err)
	}
	if c.EOS, err = tokenID(raw["eos_token_id"]); err != nil {
		return model.Config{}, fmt.Errorf("eos_token_id: %w", err)
	}
	if err := c.Validate(); err != nil {
		return model.Config{}, err
	}
	return c, nil
}

// hfFamily finds the family of config.json's architectures / model_type.
func hfFamily(archs []string, modelType string) *model.Family {
	for _, f := range model.Families() {
		for _, a := range f.HF.Architectures {
			if slices.Contains(archs, a) {
				return f
			}
		}
		if len(archs) == 0 && modelType == f.HF.ModelType {
			return f
		}
	}
	return nil
}

// parseRopeScaling reads HF's rope_scaling object ("rope_type", or "type"
// in older files).
func parseRopeScaling(raw json.RawMessage, rs *model.RopeScaling) error {
	var v struct {
		RopeType string  `json:"rope_type"`
		Type     string  `json:"type"`
		Factor   float32 `json:"factor"`
		Low      float32 `json:"low_freq_factor"`
		High     float32 `json:"high_freq_factor"`
		Orig     int     `json:"original_max_position_embeddings"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("rope_scaling: %w", err)
	}
	*rs = model.RopeScaling{Kind: v.RopeType, Factor: v.Factor, LowFreqFactor: v.Low, HighFreqFactor: v.High, OriginalMaxSeqLen: v.Orig}
	if rs.Kind == "" {
		rs.Kind = v.Type
	}
	if rs.Kind == "default" {
		*rs = model.RopeScaling{} // transformers' name for no scaling
	}
	if rs.Kind != model.RopeScalingLlama3 {
		rs.LowFreqFactor, rs.HighFreqFactor, rs.OriginalMaxSeqLen = 0, 0, 0 // unused by the other kinds
	}
	return nil
}

// hfHeadDim reads the explicit head width (head_dim) into c: kept only
// when it is not hidden/heads, so a config stating the default equals one
// that omits it.
func hfHeadDim(h *hfJSON, k model.HFConfigKeys, c *model.Config) error {
	hd := h.int(k.HeadDim, 0)
	if k.HeadDim == "" && h.int("head_dim", 0) != 0 {
		return fmt.Errorf("head_dim is not a key of %s configs (heads are %s/%s wide)", c.Arch, k.Dim, k.Heads)
	}
	if hd == 0 && h.get(k.HeadDim, new(any)) {
		return fmt.Errorf("head_dim 0: must be an even number > 0")
	}
	if hd == 0 {
		return nil
	}
	if hd < 0 || hd%2 != 0 {
		return fmt.Errorf("head_dim %d: must be an even number > 0 (RoPE rotates pairs)", hd)
	}
	if c.NHeads <= 0 || c.Dim%c.NHeads != 0 || hd != c.Dim/c.NHeads {
		c.ExplicitHeadDim = hd
	}
	return nil
}

// hfJSON reads typed values from config.json's keys, keeping the first
// error. A key that is absent, empty or null is "not present".
type hfJSON struct {
	raw map[string]json.RawMessage
	err error
}

// get decodes key into dst and reports whether it was present.
func (h *hfJSON) get(key string, dst any) bool {
	v, ok := h.raw[key]
	if key == "" || !ok || string(v) == "null" {
		return false
	}
	if err := json.Unmarshal(v, dst); err != nil && h.err == nil {
		h.err = fmt.Errorf("%s: %w", key, err)
	}
	return true
}

func (h *hfJSON) int(key string, def int) int {
	v := def
	h.get(key, &v)
	return v
}

func (h *hfJSON) float(key string, def float64) float64 {
	v := def
	h.get(key, &v)
	return v
}

// widen converts v to the float64 with the shortest decimal form that
// rounds back to v, so that 1e-5 is written as 1e-05, not 9.99999974e-06.
func widen(v float32) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	return f
}

// tokenID reads bos/eos_token_id as one id: -1 when absent, the first
// entry of a list (generation stops at any of them: Loaded.EndIDs).
func tokenID(raw json.RawMessage) (int32, error) {
	ids, err := tokenIDs(raw)
	if err != nil || len(ids) == 0 {
		return -1, err
	}
	return ids[0], nil
}

// HFConfigJSON renders c as an HF config.json of its family (the family's
// keys) that ParseHFConfig maps back to c, except that the RoPE style
// reads back as the family's HF.RopeOrder: WriteHF reorders the q/k rows
// (HFRopePermutation) when c uses the other one.
func HFConfigJSON(c model.Config) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	fam := c.Family()
	k := fam.HF.Config
	id := func(v int32) any {
		if v < 0 {
			return nil
		}
		return v
	}
	h := map[string]any{
		"architectures":       fam.HF.Architectures[:1],
		"model_type":          fam.HF.ModelType,
		"vocab_size":          c.VocabSize,
		"tie_word_embeddings": c.TiedEmbeddings,
		"bos_token_id":        id(c.BOS),
		"eos_token_id":        id(c.EOS),
		"torch_dtype":         "float32",
	}
	set := func(key string, v any) {
		if key != "" {
			h[key] = v
		}
	}
	set(k.Dim, c.Dim)
	set(k.Hidden, c.HiddenDim)
	set(k.Layers, c.NLayers)
	set(k.Heads, c.NHeads)
	set(k.KVHeads, c.NKVHeads)
	maxPos := c.MaxSeqLen
	if c.RopeScaling.Kind == model.RopeScalingDynamic {
		maxPos = c.RopeScaling.OriginalMaxSeqLen // HF's threshold (parseHFConfig)
	}
	set(k.MaxSeqLen, maxPos)
	set(k.MaxSeqLenAlt, maxPos)
	set(k.NormEps, widen(c.NormEps))
	if k.Act != "" {
		set(k.Act, k.ActValues[0])
	}
	if fam.Pos == model.RoPE {
		set(k.RopeTheta, widen(c.RopeTheta))
		set(k.HeadDim, c.HeadDim())
		if rs := c.RopeScaling; rs.Kind != "" {
			js := map[string]any{"rope_type": rs.Kind, "factor": widen(rs.Factor)}
			if rs.Kind == model.RopeScalingLlama3 {
				js["low_freq_factor"] = widen(rs.LowFreqFactor)
				js["high_freq_factor"] = widen(rs.HighFreqFactor)
				js["original_max_position_embeddings"] = rs.OriginalMaxSeqLen
			}
			h["rope_scaling"] = js
		}
	}
	if c.SlidingWindow > 0 {
		h["sliding_window"] = c.SlidingWindow
	}
	return json.MarshalIndent(h, "", "  ")
}
