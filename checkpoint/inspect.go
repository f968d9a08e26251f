package checkpoint

import (
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
	TotalBytes int64             // sum of the tensors' storage
	Metadata   map[string]string // as Loaded.Metadata
}

// Inspect reads the header and tensor table of the checkpoint at path (the
// same detection as Load) and checks every tensor against the config,
// without uploading weights to a backend.
func Inspect(path string) (*Info, error) {
	ck, err := open(path)
	if err != nil {
		return nil, err
	}
	defer ck.closeFile()
	info := &Info{Path: path, Format: ck.format, Config: ck.cfg, NumParams: ck.cfg.NumParams(), Tensors: ck.tensors, Metadata: ck.meta}
	for _, t := range ck.tensors {
		info.TotalBytes += t.Bytes
	}
	return info, nil
}
