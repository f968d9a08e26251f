package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// The tokenizer.json pipeline components: each adds its step to the
// builder or names itself in an error when unsupported.

// component decodes a normalizer, pre-tokenizer, post-processor or
// decoder; nil when it is absent or null.
func component(raw json.RawMessage, what string) (*hfComponent, error) {
	if isNull(raw) {
		return nil, nil
	}
	var c hfComponent
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &c, nil
}

func (b *hfBuilder) normalizer(raw json.RawMessage) error {
	c, err := component(raw, "normalizer")
	if c == nil || err != nil {
		return err
	}
	t := b.t
	switch c.Type {
	case "Sequence":
		for _, n := range c.Normalizers {
			if err := b.normalizer(n); err != nil {
				return err
			}
		}
	case "Prepend":
		t.norm = append(t.norm, prepend(c.Prepend))
		b.spacePrefix = true
	case "Replace":
		if c.Pattern.String == nil || *c.Pattern.String == "" {
			return fmt.Errorf("unsupported normalizer Replace with a non-string pattern")
		}
		t.norm = append(t.norm, replaceAll(*c.Pattern.String, c.Content))
	case "Lowercase":
		t.norm = append(t.norm, strings.ToLower)
	case "NFC":
		t.norm = append(t.norm, norm.NFC.String)
	default:
		return fmt.Errorf("unsupported normalizer type %q", c.Type)
	}
	return nil
}

func (b *hfBuilder) preTokenizer(raw json.RawMessage) error {
	c, err := component(raw, "pre_tokenizer")
	if c == nil || err != nil {
		return err
	}
	var step func(s string, first bool, yield func(string))
	switch c.Type {
	case "Sequence":
		for _, p := range c.PreTokenizers {
			if err := b.preTokenizer(p); err != nil {
				return err
			}
		}
		return nil
	case "ByteLevel":
		if b.byteLevel {
			return errors.New("unsupported pre_tokenizer: two ByteLevel steps")
		}
		b.byteLevel = true
		addPrefix := c.AddPrefixSpace != nil && *c.AddPrefixSpace
		useRegex := c.UseRegex == nil || *c.UseRegex
		step = func(s string, _ bool, yield func(string)) {
			if addPrefix && !strings.HasPrefix(s, " ") {
				s = " " + s
			}
			if useRegex {
				splitGPT2(s, yield)
			} else {
				yield(s)
			}
		}
	case "Split":
		if step = b.splitStep(c); step == nil {
			return fmt.Errorf("unsupported pre_tokenizer Split (behavior %q, invert %v): supported are the GPT-2, Llama 3 and Qwen2 regexes with behavior Isolated, and string patterns", c.Behavior, c.Invert)
		}
	case "Metaspace":
		b.spacePrefix = c.PrependScheme != "never" && !(c.PrependScheme == "" && c.AddPrefixSpace != nil && !*c.AddPrefixSpace)
		step, err = metaspace(c)
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("unsupported pre_tokenizer type %q", c.Type)
	}
	if b.byteLevel && c.Type != "ByteLevel" {
		return fmt.Errorf("unsupported pre_tokenizer: %s after ByteLevel", c.Type)
	}
	if prev := b.t.pre; prev != nil {
		b.t.pre = func(s string, first bool, yield func(string)) {
			prev(s, first, func(w string) { step(w, first, yield) })
		}
	} else {
		b.t.pre = step
	}
	return nil
}

// splitStep returns HF's Split pre-tokenizer for the patterns we
// implement, nil for others: the GPT-2, Llama 3 and Qwen2 regexes
// (Isolated: each match is a piece, and these patterns match everywhere),
// and any string pattern.
func (b *hfBuilder) splitStep(c *hfComponent) func(string, bool, func(string)) {
	if c.Invert {
		return nil
	}
	if c.Pattern.String != nil && *c.Pattern.String != "" {
		split, ok := splitString(*c.Pattern.String, c.Behavior)
		if !ok {
			return nil
		}
		return func(s string, _ bool, yield func(string)) { split(s, yield) }
	}
	if c.Pattern.Regex == nil || c.Behavior != "Isolated" {
		return nil
	}
	name := preOfPattern(*c.Pattern.Regex)
	if name == "" {
		return nil
	}
	b.t.v.Pre = name
	split := byteLevelPres[name].split
	return func(s string, _ bool, yield func(string)) { split(s, yield) }
}

// metaspace is HF's Metaspace pre-tokenizer: spaces become the replacement
// character, which is prepended (always, or to the first segment only, or
// never), and the text is split before each replacement when split is set.
func metaspace(c *hfComponent) (func(string, bool, func(string)), error) {
	rep := c.Replacement
	if rep == "" {
		rep = spmSpace
	}
	scheme := c.PrependScheme
	if scheme == "" {
		scheme = "always"
		if c.AddPrefixSpace != nil && !*c.AddPrefixSpace {
			scheme = "never"
		}
	}
	if scheme != "always" && scheme != "first" && scheme != "never" {
		return nil, fmt.Errorf("unsupported Metaspace prepend_scheme %q", scheme)
	}
	split := c.Split == nil || *c.Split
	return func(s string, first bool, yield func(string)) {
		s = strings.ReplaceAll(s, " ", rep)
		if (scheme == "always" || scheme == "first" && first) && !strings.HasPrefix(s, rep) {
			s = rep + s
		}
		if !split {
			yield(s)
			return
		}
		last := 0 // split before every replacement (MergedWithNext)
		for i := 0; ; {
			j := strings.Index(s[i:], rep)
			if j < 0 {
				break
			}
			if pos := i + j; pos > last {
				yield(s[last:pos])
				last = pos
			}
			i += j + len(rep)
		}
		if last < len(s) {
			yield(s[last:])
		}
	}, nil
}

func (b *hfBuilder) postProcessor(raw json.RawMessage) error {
	c, err := component(raw, "post_processor")
	if c == nil || err != nil {
		return err
	}
	switch c.Type {
	case "Sequence":
		for _, p := range c.Processors {
			if err := b.postProcessor(p); err != nil {
				return err
			}
		}
	case "ByteLevel": // offsets only
	case "TemplateProcessing":
		seq := slices.IndexFunc(c.Single, func(p map[string]hfTemplatePiece) bool { _, ok := p["Sequence"]; return ok })
		if seq < 0 {
			return errors.New("post_processor TemplateProcessing: single template has no sequence")
		}
		special := func(i int) string {
			p, ok := c.Single[i]["SpecialToken"]
			if !ok {
				return ""
			}
			if st, ok := c.SpecialTokens[p.ID]; ok && len(st.IDs) == 1 && int(st.IDs[0]) < len(b.t.pieces) && st.IDs[0] >= 0 {
				return b.t.pieces[st.IDs[0]]
			}
			return p.ID
		}
		if seq > 0 {
			b.bosName = special(0)
			b.t.v.AddBOS = b.bosName != ""
		}
		if seq < len(c.Single)-1 {
			b.eosName = special(len(c.Single) - 1)
		}
	default:
		return fmt.Errorf("unsupported post_processor type %q", c.Type)
	}
	return nil
}

func (b *hfBuilder) decoder(raw json.RawMessage) error {
	c, err := component(raw, "decoder")
	if c == nil || err != nil {
		return err
	}
	var d func(p string, first bool) string
	switch c.Type {
	case "Sequence":
		for _, s := range c.Decoders {
			if err := b.decoder(s); err != nil {
				return err
			}
		}
		return nil
	case "ByteLevel":
		b.byteLevelDecoder = true
		d = func(p string, _ bool) string { return byteLevelDecode(p) }
	case "Replace":
		if c.Pattern.String == nil || *c.Pattern.String == "" {
			return fmt.Errorf("unsupported decoder Replace with a non-string pattern")
		}
		from, to := *c.Pattern.String, c.Content
		d = func(p string, _ bool) string { return strings.ReplaceAll(p, from, to) }
	case "ByteFallback":
		d = func(p string, _ bool) string {
			if by, ok := parseByteToken(p); ok {
				return string([]byte{by})
			}
			return p
		}
	case "Fuse":
		b.fused = true
		return nil
	case "Strip":
		if c.Stop != 0 || c.Start < 0 || len([]rune(c.Content)) != 1 {
			return fmt.Errorf("unsupported decoder Strip (content %q, start %d, stop %d)", c.Content, c.Start, c.Stop)
		}
		onlyFirst, content, n := b.fused, c.Content, c.Start
		d = func(p string, first bool) string {
			if onlyFirst && !first {
				return p
			}
			for range n {
				if !strings.HasPrefix(p, content) {
					break
				}
				p = p[len(content):]
			}
			return p
		}
	case "Metaspace":
		rep := c.Replacement
		if rep == "" {
			rep = spmSpace
		}
		strip := c.PrependScheme != "never"
		if c.PrependScheme == "" && c.AddPrefixSpace != nil {
			strip = *c.AddPrefixSpace
		}
		d = func(p string, first bool) string {
			if first && strip {
				p = strings.TrimPrefix(p, rep)
			}
			return strings.ReplaceAll(p, rep, " ")
		}
	default:
		return fmt.Errorf("unsupported decoder type %q", c.Type)
	}
	b.dec = append(b.dec, d)
	return nil
}
