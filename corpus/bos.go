package corpus

import "fmt"

// BOS says where BOS tokens go in a token stream.
type BOS int

const (
	BOSDocument BOS = iota // a BOS before every document (the default)
	BOSStream              // one BOS before the whole stream
	BOSNone                // no BOS
)

// BOSNames are the placement names, in the order of the constants.
var BOSNames = []string{BOSDocument: "document", BOSStream: "stream", BOSNone: "none"}

// bosAliases are old spellings: "doc" from the command line, "sequence"
// from recipes (which never put a BOS at every training sequence: the
// stream was cut after BOS placement).
var bosAliases = map[string]BOS{"doc": BOSDocument, "sequence": BOSStream}

func (b BOS) String() string {
	if b >= 0 && int(b) < len(BOSNames) {
		return BOSNames[b]
	}
	return fmt.Sprintf("BOS(%d)", int(b))
}

// ParseBOS parses a placement name. An old spelling parses too and returns
// a deprecation note for the caller to print; note is "" otherwise.
func ParseBOS(s string) (b BOS, note string, err error) {
	for i, n := range BOSNames {
		if s == n {
			return BOS(i), "", nil
		}
	}
	if b, ok := bosAliases[s]; ok {
		return b, fmt.Sprintf("BOS placement %q is deprecated: write %q", s, b), nil
	}
	return 0, "", fmt.Errorf("corpus: unknown BOS placement %q (want document, stream or none)", s)
}
