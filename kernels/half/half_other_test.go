//go:build !amd64 || purego

package half

func archPaths() []path { return nil }
