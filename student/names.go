package student

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
)

// ParseDivergence reads a distillation divergence as recipes and flags
// spell it: kl (or forward_kl), reverse_kl, jsd.
func ParseDivergence(s string) (kernels.Divergence, error) {
	switch s {
	case "kl", "forward_kl":
		return kernels.ForwardKL, nil
	case "reverse_kl":
		return kernels.ReverseKL, nil
	case "jsd":
		return kernels.JSD, nil
	}
	return 0, fmt.Errorf("divergence %q: want kl (or forward_kl), reverse_kl or jsd", s)
}

// ParseHiddenLoss reads a hidden-state loss as recipes and flags spell it:
// mse or cosine.
func ParseHiddenLoss(s string) (kernels.HiddenKind, error) {
	switch s {
	case "mse":
		return kernels.HiddenMSE, nil
	case "cosine":
		return kernels.HiddenCosine, nil
	}
	return 0, fmt.Errorf("hidden-state loss %q: want mse or cosine", s)
}
