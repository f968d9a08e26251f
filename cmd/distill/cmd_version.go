package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/kernels"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func init() { register(versionCommand) }

type versionInfo struct {
	Version  string   `json:"version"`
	Commit   string   `json:"commit,omitempty"`
	Go       string   `json:"go"`
	Platform string   `json:"platform"`
	Backends []string `json:"backends"`
}

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, build and available compute backends",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "machine-readable output"}},
		Action: func(c *cli.Context) error {
			v := versionInfo{Version: version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, Backends: kernels.Available()}
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						v.Commit = s.Value
					}
				}
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, v)
			}
			fmt.Fprintf(e.stdout, "distill %s", v.Version)
			if v.Commit != "" {
				fmt.Fprintf(e.stdout, " (%s)", v.Commit)
			}
			fmt.Fprintf(e.stdout, " %s %s, backends: %v\n", v.Go, v.Platform, v.Backends)
			return nil
		},
	}
}
