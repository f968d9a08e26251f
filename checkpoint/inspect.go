package checkpoint

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint/safetensors"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// TensorInfo describes one tensor as stored in a checkpoint file.
type TensorInfo struct {
	Name     string        // name in the file
	FileType string        // the file's dtype name: "F32", "BF16", "Q4_K", "I64", ...
	DType    kernels.DType // the kernels dtype; meaningless when Supported is false
	// Supported says whether the kernels can store the tensor's dtype.
	Supported bool
	Shape     []int // as the file states it, outermost first
	Bytes     int64
}

// fileTensor is what the safetensors and GGUF readers' tensors offer.
type fileTensor interface {
	Size() (int, error)
	KernelDType() (kernels.DType, error)
}

// record appends a file tensor to ck.tensors and returns its kernels
// dtype, or the reader's error (naming file and tensor) when unsupported.
func (ck *checkpoint) record(name string, shape []int, fileType string, t fileTensor) (kernels.DType, error) {
	size, _ := t.Size()
	dt, err := t.KernelDType()
	ck.tensors = append(ck.tensors, TensorInfo{Name: name, FileType: fileType, DType: dt, Supported: err == nil, Shape: shape, Bytes: int64(size)})
	return dt, err
}

// Info describes a checkpoint without loading its weights.
type Info struct {
	Path       string
	Format     string // FormatLlama2C, FormatSafetensors or FormatGGUF
	Config     model.Config
	NumParams  int // parameters of the model (a tied classifier counts once)
	Tensors    []TensorInfo
	TotalBytes int64 // sum of the tensors' storage
	// HostBytes are the bytes loading copies out of the file into memory
	// (q/k rows moved from HF's RoPE order to the family's); the other
	// TotalBytes - HostBytes are used where the file is mapped.
	HostBytes int64
	Metadata  map[string]string // as Loaded.Metadata
}

// Inspect reads the header and tensor table of the checkpoint at path (the
// same detection as Load) and checks every tensor against the config,
// without uploading weights to a backend.
//
// An HF config.json (or its folder) without weights beside it is
// inspected alone (Format FormatConfig): the tensors are the ones the
// config implies, under their HF names, sized by its torch_dtype, so
// parameter counts and memory estimates need no download.
func Inspect(path string) (*Info, error) {
	if dir, ok := configOnly(path); ok {
		return inspectConfig(dir)
	}
	ck, err := open(path, false)
	if err != nil {
		return nil, err
	}
	defer ck.closeFile()
	info := &Info{Path: path, Format: ck.format, Config: ck.cfg, NumParams: ck.cfg.NumParams(), Tensors: ck.tensors, Metadata: ck.meta, HostBytes: ck.hostBytes}
	for _, t := range ck.tensors {
		info.TotalBytes += t.Bytes
	}
	return info, nil
}

// configOnly reports whether path is an HF config.json, or a folder
// holding one, with no safetensors weights beside it, and returns the
// folder.
func configOnly(path string) (string, bool) {
	dir := path
	if filepath.Base(path) == "config.json" {
		dir = filepath.Dir(path)
	} else if st, err := os.Stat(path); err != nil || !st.IsDir() {
		return "", false
	}
	if st, err := os.Stat(filepath.Join(dir, "config.json")); err != nil || st.IsDir() {
		return "", false
	}
	weights, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if _, err := os.Stat(filepath.Join(dir, safetensors.IndexFileName)); err == nil || len(weights) > 0 {
		return "", false
	}
	return dir, true
}

// inspectConfig describes the model a config.json declares.
func inspectConfig(dir string) (*Info, error) {
	path := filepath.Join(dir, "config.json")
	js, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	cfg, err := ParseHFConfig(js)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	var td struct {
		DType string `json:"torch_dtype"`
	}
	_ = json.Unmarshal(js, &td) // ParseHFConfig has read the file as JSON
	dt, ok := map[string]kernels.DType{"": kernels.F32, "float32": kernels.F32, "float16": kernels.F16, "bfloat16": kernels.BF16}[td.DType]
	if !ok {
		return nil, fmt.Errorf("checkpoint: %s: torch_dtype %q is not one distill stores (float32, float16, bfloat16)", path, td.DType)
	}
	info := &Info{Path: path, Format: FormatConfig, Config: cfg, NumParams: cfg.NumParams()}
	qk := map[string]bool{} // the tensors reorderSourceQK copies, if it reorders
	if cfg.Family().Pos == model.RoPE && cfg.RopeStyle != cfg.Family().RopeOrder {
		for l := range cfg.NLayers {
			for _, name := range []string{model.LayerName(l, model.AttnQ, "weight"), model.LayerName(l, model.AttnQ, "bias"),
				model.LayerName(l, model.AttnK, "weight"), model.LayerName(l, model.AttnK, "bias")} {
				qk[name] = true
			}
		}
	}
	for _, p := range cfg.Params() {
		b, _ := dt.RowBytes(p.Numel())
		if qk[p.Name] {
			info.HostBytes += int64(b)
		}
		info.Tensors = append(info.Tensors, TensorInfo{Name: hfName(cfg, p.Name), FileType: dt.String(), DType: dt,
			Supported: true, Shape: p.Shape, Bytes: int64(b)})
		info.TotalBytes += int64(b)
	}
	return info, nil
}
