package pipeline

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ReadMetrics reads a training metrics JSONL file: one object per line,
// keeping the numeric fields (booleans become 0/1). A missing file gives no
// rows; a torn last line (a run killed mid-write) is ignored.
func ReadMetrics(path string) ([]map[string]float64, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	defer f.Close()
	var rows []map[string]float64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	var bad error
	for sc.Scan() {
		line++
		if bad != nil {
			return nil, bad // a bad line that was not the last one
		}
		row, err := numericFields(sc.Bytes())
		if err != nil {
			bad = fmt.Errorf("pipeline: %s:%d: %w", path, line, err)
			continue
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pipeline: %s: %w", path, err)
	}
	return rows, nil
}

// numericFields decodes a JSON object keeping its numbers and booleans
// (as 0/1).
func numericFields(b []byte) (map[string]float64, error) {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	row := make(map[string]float64, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case float64:
			row[k] = v
		case bool:
			row[k] = 0
			if v {
				row[k] = 1
			}
		}
	}
	return row, nil
}
