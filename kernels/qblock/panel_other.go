//go:build !amd64 || purego

package qblock

// panelArch: no panel kernel on this architecture.
const panelArch = false

func panelDotArch(p *Panels, row0, n int, ar *ActRows, out []float32, ldo int) {
	panelDotGeneric(p, row0, n, ar, out, ldo)
}

func quantQ8KRecArch([]byte, []float32) int { return 0 }
