package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/internal/units"
)

func init() { register(inspectCommand) }

func inspectCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show a checkpoint's config, parameter count by tensor, dtype and size",
		ArgsUsage: "MODEL",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "machine-readable output"}},
		Action: func(c *cli.Context) error {
			if err := oneArg(c, "MODEL"); err != nil {
				return err
			}
			info, err := e.models.inspect(c.Args().First())
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, info)
			}
			return printInspect(e, info)
		},
	}
}

func printInspect(e *env, info *inspectInfo) error {
	t := newTable(e.stdout)
	t.row("file\t%s", info.Path)
	t.row("format\t%s", info.Format)
	t.row("parameters\t%d (%s)", info.Params, units.Count(info.Params))
	t.row("tensor bytes\t%d (%s)", info.Bytes, units.Bytes(info.Bytes))
	byDType := map[string][2]int64{}
	for _, ts := range info.Tensors {
		d := byDType[ts.DType]
		byDType[ts.DType] = [2]int64{d[0] + ts.Params, d[1] + ts.Bytes}
	}
	dts := make([]string, 0, len(byDType))
	for d := range byDType {
		dts = append(dts, d)
	}
	sort.Strings(dts)
	for _, d := range dts {
		t.row("  %s\t%d parameters, %s", d, byDType[d][0], units.Bytes(byDType[d][1]))
	}
	if err := t.flush(); err != nil {
		return err
	}
	fields, err := orderedFields(info.Config)
	if err != nil {
		return err
	}
	if len(fields) > 0 {
		fmt.Fprintln(e.stdout, "\nconfig")
		t = newTable(e.stdout)
		for _, f := range fields {
			t.row("  %s\t%s", f[0], f[1])
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "\ntensors (%d)\n", len(info.Tensors))
	t = newTable(e.stdout)
	t.row("  name\tdtype\tshape\tparameters\tbytes\t%% params")
	for _, ts := range info.Tensors {
		pct := 0.0
		if info.Params > 0 {
			pct = 100 * float64(ts.Params) / float64(info.Params)
		}
		t.row("  %s\t%s\t%v\t%d\t%d\t%.2f", ts.Name, ts.DType, ts.Shape, ts.Params, ts.Bytes, pct)
	}
	return t.flush()
}

// orderedFields returns the top-level fields of v's JSON encoding in order,
// each value compact JSON (strings unquoted). A non-object gives one field
// "value".
func orderedFields(v any) ([][2]string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return [][2]string{{"value", string(b)}}, nil
	}
	var out [][2]string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("decoding config: %w", err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("decoding config: %w", err)
		}
		val := string(raw)
		var s string
		if json.Unmarshal(raw, &s) == nil {
			val = s
		}
		out = append(out, [2]string{fmt.Sprint(k), val})
	}
	return out, nil
}
