package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
)

// Checkpoint formats, as Loaded.Format and Info.Format report them.
const (
	FormatLlama2C     = "llama2c"
	FormatSafetensors = "safetensors"
	FormatGGUF        = "gguf"
	// FormatConfig is Info.Format of an HF config.json inspected without
	// weights beside it (Inspect only: shapes and counts, no data).
	FormatConfig = "config.json"
)

// Loaded is a model read from a checkpoint (a teacher, a trained student,
// an export being verified): the model on a backend and its tokenizer.
type Loaded struct {
	Model     *model.Model
	Tokenizer tokenizer.Tokenizer // nil when none was found
	Path      string
	Format    string
	Config    model.Config
	// EndIDs are the tokens that end a generated text, as the format
	// defines them (see endids.go); generation stops after one.
	EndIDs []int32
	// Metadata are the file's string-valued metadata: the safetensors
	// __metadata__ map (HF), the string keys of a GGUF file; nil for
	// llama2.c. Keys written through HFOptions.Metadata or
	// GGUFOptions.Metadata read back here.
	Metadata map[string]string

	close func() error // releases the memory-mapped file, if any
}

// Close releases the model's backend storage and the checkpoint file.
func (t *Loaded) Close() error {
	if t.Model != nil {
		t.Model.Free()
		t.Model = nil
	}
	if t.close != nil {
		err := t.close()
		t.close = nil
		return err
	}
	return nil
}

// LoadOptions adjusts Load.
type LoadOptions struct {
	// Tokenizer is a tokenizer file or directory to use instead of the one
	// found beside (or inside) the checkpoint.
	Tokenizer string
	// NoTokenizer loads the model alone; a missing tokenizer is then not an
	// error (it never is for llama2.c and HF checkpoints without one, which
	// leave Loaded.Tokenizer nil).
	NoTokenizer bool
}

// Load reads the checkpoint at path, uploads its weights to b and finds its
// tokenizer. The format is detected from path:
//
//   - a directory, or a config.json / *.safetensors / *.index.json file: HF
//     (config.json + model.safetensors or model.safetensors.index.json);
//   - a file starting with the GGUF magic: GGUF, tokenizer embedded;
//   - any other file: llama2.c .bin, tokenizer tokenizer.bin or tok*.bin in
//     the same directory.
func Load(path string, b kernels.Backend, opts LoadOptions) (*Loaded, error) {
	ck, err := open(path, true)
	if err != nil {
		return nil, err
	}
	// The tokenizer first: it is cheap, and a bad one should not cost a
	// weight upload.
	tok, err := ck.tokenizer(opts)
	if err != nil {
		ck.closeFile()
		return nil, fmt.Errorf("checkpoint: %s: tokenizer: %w", path, err)
	}
	m, err := model.New(ck.cfg, b, ck.src)
	if err != nil {
		ck.closeFile()
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return &Loaded{Model: m, Tokenizer: tok, Path: path, Format: ck.format, Config: ck.cfg, EndIDs: ck.end, Metadata: ck.meta, close: ck.closeFile}, nil
}

// LoadTokenizer returns the tokenizer Load would pair the checkpoint at
// path with, checked against it the same way, without loading the
// weights; nil when none is found.
func LoadTokenizer(path string, opts LoadOptions) (tokenizer.Tokenizer, error) {
	ck, err := open(path, false)
	if err != nil {
		return nil, err
	}
	defer ck.closeFile()
	tok, err := ck.tokenizer(opts)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: tokenizer: %w", path, err)
	}
	return tok, nil
}

// tokenizer loads the tokenizer opts name or the checkpoint's own and
// checks that it fits the model; a tokenizer named for a model that has its
// own must be that one.
func (ck *checkpoint) tokenizer(opts LoadOptions) (tokenizer.Tokenizer, error) {
	var tok tokenizer.Tokenizer
	var err error
	switch {
	case opts.Tokenizer != "":
		tok, err = tokenizer.Load(opts.Tokenizer)
	case opts.NoTokenizer:
	case ck.tok != nil:
		tok, err = ck.tok()
	}
	if err != nil || tok == nil {
		return tok, err
	}
	if err := checkTokenizer(ck, tok); err != nil {
		return nil, err
	}
	if opts.Tokenizer != "" && ck.tok != nil {
		if own, ownErr := ck.tok(); ownErr == nil {
			if err := compareTokenizers("the model's own", own, opts.Tokenizer, tok); err != nil {
				return nil, err
			}
		}
	}
	return tok, nil
}

// checkpoint is a checkpoint file opened and mapped onto canonical tensor
// names, before any weight is uploaded.
type checkpoint struct {
	format  string
	file    string // the file errors name (the weights file or index)
	cfg     model.Config
	src     *model.MapSource  // canonical names
	tensors []TensorInfo      // as stored in the file
	origin  map[string]string // canonical name -> name in the file, for errors
	// fileName gives the name a missing canonical tensor would have in
	// the file; nil when the file uses canonical names.
	fileName func(canon string) string
	// tok loads the tokenizer that goes with the checkpoint; nil when none.
	tok  func() (tokenizer.Tokenizer, error)
	end  []int32           // end-of-text ids
	meta map[string]string // string metadata (Loaded.Metadata)
	// hostBytes are the bytes Load holds in memory beside the file's own
	// (Info.HostBytes).
	hostBytes int64
	close     func() error
}

func (ck *checkpoint) closeFile() error {
	if ck.close == nil {
		return nil
	}
	err := ck.close()
	ck.close = nil
	return err
}

// open detects the format of path, opens it and checks every tensor the
// config needs. Without weights (inspecting, finding the tokenizer) the
// tensors that loading copies are only counted (checkpoint.hostBytes).
func open(path string, weights bool) (*checkpoint, error) {
	ck, err := detectOpen(path, weights)
	if err != nil {
		return nil, err
	}
	if ck.file == "" {
		ck.file = path
	}
	if err := ck.check(ck.file); err != nil {
		ck.closeFile()
		return nil, err
	}
	return ck, nil
}

// check verifies presence, shape, dtype and size of every parameter,
// naming tensors as the file does.
func (ck *checkpoint) check(path string) error {
	for _, p := range ck.cfg.Params() {
		name := p.Name
		if o := ck.origin[p.Name]; o != "" && o != p.Name {
			name = fmt.Sprintf("%s (%s)", o, p.Name)
		}
		t, ok := ck.src.Lookup(p.Name)
		if !ok && ck.fileName != nil {
			name = ck.fileName(p.Name)
		}
		if !ok {
			return fmt.Errorf("checkpoint: %s: missing tensor %s, shape %v (config: %s)", path, name, p.Shape, ck.cfg)
		}
		if err := model.CheckTensor(p, t); err != nil {
			return fmt.Errorf("checkpoint: %s: %s: %w", path, name, err)
		}
	}
	return nil
}

func detectOpen(path string, weights bool) (*checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if st.IsDir() {
		return openHF(path, weights)
	}
	base := filepath.Base(path)
	if base == "config.json" || strings.HasSuffix(base, ".safetensors") || strings.HasSuffix(base, ".index.json") {
		return openHF(filepath.Dir(path), weights)
	}
	magic := make([]byte, 4)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	n, _ := f.Read(magic)
	f.Close()
	if n == 4 && string(magic) == "GGUF" {
		return openGGUF(path)
	}
	return openLlama2C(path)
}
