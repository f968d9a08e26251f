package model

import (
	"strings"
	"testing"
)

func TestKVCacheBytes(t *testing.T) {
	c := Config{Dim: 64, NLayers: 5, NHeads: 8, NKVHeads: 4}
	if n, ok := c.KVCacheBytes(1, 512); !ok || n != 2*4*5*512*32 {
		t.Errorf("KVCacheBytes(1, 512) = %d, %v", n, ok)
	}
	if _, ok := c.KVCacheBytes(1<<40, 1<<40); ok {
		t.Error("an overflowing product was accepted")
	}
	m := &Model{Config: c}
	if err := m.CheckKVCache(1, 1<<24, 1<<30); err == nil || !strings.Contains(err.Error(), "at most 838860") {
		t.Errorf("CheckKVCache(1, 2^24, 1 GiB) = %v", err)
	}
	if err := m.CheckKVCache(1, 512, 1<<30); err != nil {
		t.Error(err)
	}
}
