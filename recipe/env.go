package recipe

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// expandEnv replaces ${VAR} and ${VAR:-default} in s. As in the shell, the
// default is used when VAR is unset or empty; "$$" is a literal "$" and a
// "$" not followed by "{" or "$" is kept as is. The default itself is not
// expanded further. An unset variable without a default is an error: a path
// silently becoming "/stories260K.bin" would fail much later and less
// clearly.
func expandEnv(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '{':
		default:
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		expr := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validEnvName(name) {
			return "", fmt.Errorf("invalid environment variable name %q in %q", name, s)
		}
		v, ok := lookup(name)
		switch {
		case ok && v != "":
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		case ok:
			return "", fmt.Errorf("environment variable %s is empty (write ${%s:-default} to give a default)", name, name)
		default:
			return "", fmt.Errorf("environment variable %s is not set (write ${%s:-default} to give a default)", name, name)
		}
		i += 2 + end
	}
	return b.String(), nil
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		letter := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// resolvePath expands the environment in p and joins a relative result to
// dir, the recipe's folder.
func resolvePath(p, dir string, lookup func(string) (string, bool)) (string, error) {
	s, err := expandEnv(p, lookup)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", fmt.Errorf("empty path")
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(dir, s)
	}
	return filepath.Clean(s), nil
}

// ExpandEnv is the expansion recipes apply to their strings (see
// expandEnv), over the process environment, for the project's other
// YAML files (the teacher recipes of cmd/trainteacher).
func ExpandEnv(s string) (string, error) {
	return expandEnv(s, os.LookupEnv)
}
