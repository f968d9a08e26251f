package finitejson

import (
	"encoding/json"
	"math"
	"testing"
)

type inner struct {
	PPL float64 `json:"ppl"`
}

type row struct {
	Step    int                `json:"step"`
	Loss    float64            `json:"loss"`
	Norm    float64            `json:"grad_norm"`
	Skipped bool               `json:"skipped"`
	Opt     *float64           `json:"opt,omitempty"`
	Hidden  float64            `json:"-"`
	In      inner              `json:"inner"`
	List    []float32          `json:"list"`
	Map     map[string]float64 `json:"map"`
	Note    string             `json:"note,omitempty"`
}

func TestMarshal(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"finite values encode as encoding/json does", row{Step: 1, Loss: 2.5, Norm: 3, In: inner{4}, List: []float32{1}, Map: map[string]float64{"a": 1}},
			`{"step":1,"loss":2.5,"grad_norm":3,"skipped":false,"inner":{"ppl":4},"list":[1],"map":{"a":1}}`},
		{"non-finite fields become null, order kept", row{Step: 7, Loss: nan, Norm: inf, Skipped: true, Opt: &inf, Hidden: nan, In: inner{-inf}, List: []float32{float32(inf), 2}, Map: map[string]float64{"b": nan}, Note: "x"},
			`{"step":7,"loss":null,"grad_norm":null,"skipped":true,"opt":null,"inner":{"ppl":null},"list":[null,2],"map":{"b":null},"note":"x"}`},
		{"a bare NaN", nan, `null`},
	}
	for _, c := range cases {
		b, err := Marshal(c.v)
		if err != nil || string(b) != c.want {
			t.Errorf("%s:\n got %s (%v)\nwant %s", c.name, b, err, c.want)
		}
		if !json.Valid(b) {
			t.Errorf("%s: invalid JSON %s", c.name, b)
		}
	}
}

func TestNoHTMLEscaping(t *testing.T) {
	b, err := Marshal(map[string]any{"text": "<s> & </s>", "x": math.Inf(-1)})
	if want := `{"text":"<s> & </s>","x":null}`; err != nil || string(b) != want {
		t.Errorf("got %s (%v), want %s", b, err, want)
	}
}
