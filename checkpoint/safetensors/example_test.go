package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint/safetensors"
)

func Example() {
	dir, _ := os.MkdirTemp("", "st-example")
	defer os.RemoveAll(dir)

	ts := []safetensors.Tensor{
		{Name: "lm_head.weight", DType: "BF16", Shape: []int{2, 2}, Data: make([]byte, 8)},
		{Name: "position_ids", DType: "I64", Shape: []int{1}, Data: make([]byte, 8)},
	}
	if err := safetensors.Write(filepath.Join(dir, safetensors.SingleFileName), ts, map[string]string{"format": "pt"}); err != nil {
		log.Fatal(err)
	}

	f, err := safetensors.Open(dir) // a directory, a .safetensors file or an index
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	for _, t := range f.Tensors() {
		if dt, err := t.KernelDType(); err == nil {
			fmt.Println(t.Name, t.Shape, "kernels dtype", dt)
		} else {
			fmt.Println(t.Name, t.Shape, t.DType, "refused by the kernels")
		}
	}
	fmt.Println(f.Metadata()["format"])
	// Output:
	// lm_head.weight [2 2] kernels dtype BF16
	// position_ids [1] I64 refused by the kernels
	// pt
}
