package corpusgen

import (
	"math/bits"
	"math/rand/v2"
	"strings"
)

// Length bounds of a story, in words (strings.Fields).
const (
	MinWords = 60
	MaxWords = 200
)

// source draws the story's choices. pick is Lemire's multiply-high without
// the rejection step, on PCG's raw Uint64 output: a bias of at most n/2^64,
// and unlike rand.Rand's methods it is fixed by this file, so the output
// cannot change with the Go release.
type source struct{ pcg *rand.PCG }

func (s source) pick(n int) int {
	hi, _ := bits.Mul64(s.pcg.Uint64(), uint64(n))
	return int(hi)
}

// chance is true with probability num/den.
func (s source) chance(num, den int) bool { return s.pick(den) < num }

func oneOf[T any](s source, xs []T) T { return xs[s.pick(len(xs))] }

// Character is a named person or animal of a story.
type Character struct {
	Name   string
	Female bool
}

// Story is one generated story and the entities it is about.
type Story struct {
	Hero, Friend Character
	Object       string // the noun, as "ball"
	Place        string // as "park"
	Text         string // one paragraph, no newline
}

// newStory draws a story from s. It retries the draw (consuming more of
// the stream) until the text has MinWords to MaxWords words.
func newStory(s source) Story {
	for {
		st := drawStory(s)
		if n := len(strings.Fields(st.Text)); n >= MinWords && n <= MaxWords {
			return st
		}
	}
}

func drawStory(s source) Story {
	hero := oneOf(s, names)
	friend := oneOf(s, names)
	for friend.text == hero.text {
		friend = oneOf(s, names)
	}
	obj := oneOf(s, objects)
	pl := oneOf(s, places)
	hp, fp := pronouns[hero.g], pronouns[friend.g]
	kind := oneOf(s, kinds[hero.g])
	if s.chance(1, 4) {
		kind = oneOf(s, []string{"little ", "small ", ""}) + oneOf(s, animals)
	}
	fixed := []string{
		"{H}", hero.text, "{he}", hp.subj, "{him}", hp.obj, "{his}", hp.poss,
		"{He}", hp.Subj, "{His}", strings.ToUpper(hp.poss[:1]) + hp.poss[1:],
		"{F}", friend.text, "{fhe}", fp.subj, "{fhim}", fp.obj, "{fhis}", fp.poss, "{Fhe}", fp.Subj,
		"{kind}", kind, "{obj}", obj.noun, "{adj}", oneOf(s, colours), "{play}", obj.play,
		"{place}", pl.noun, "{grown}", oneOf(s, grownups), "{trait}", oneOf(s, traits),
		"{animal}", oneOf(s, animals),
		"{good}", oneOf(s, feelingsGood), "{bad}", oneOf(s, feelingsBad),
	}
	// {spot} and {day} are drawn afresh for every sentence.
	fill := strings.NewReplacer(fixed...)
	var b strings.Builder
	say := func(templates []string) {
		spot, day := oneOf(s, pl.spots), oneOf(s, days)
		t := strings.ReplaceAll(strings.ReplaceAll(oneOf(s, templates), "{spot}", spot), "{day}", day)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fill.Replace(t))
	}

	say(intro)
	say(have)
	if n := s.pick(3); n > 0 { // 0-2 distinct scene sentences
		i := s.pick(len(setupExtra))
		say(setupExtra[i : i+1])
		if n > 1 {
			j := (i + 1 + s.pick(len(setupExtra)-1)) % len(setupExtra)
			say(setupExtra[j : j+1])
		}
	}
	say(goOut)
	first := s.pick(len(problems))
	episode(s, say, first, true)
	if s.chance(1, 3) {
		second := s.pick(len(problems) - 1) // any kind but "share"
		if second >= shareProblem {
			second++
		}
		if second != first {
			b.WriteString(" Later, they played again.")
			episode(s, say, second, false)
		}
	}
	say(end)
	return Story{
		Hero:   Character{hero.text, hero.g == female},
		Friend: Character{friend.text, friend.g == female},
		Object: obj.noun, Place: pl.noun, Text: b.String(),
	}
}

// shareProblem is the index of the problem that brings the friend in itself.
const shareProblem = 3

// episode tells one problem and its solution; meetFriend brings the friend
// in first unless the problem itself does.
func episode(s source, say func([]string), k int, meetFriend bool) {
	p := problems[k]
	say(p.start)
	say(p.cry)
	if meetFriend && k != shareProblem {
		say(meet)
		if s.chance(1, 3) {
			say(describe)
		}
	}
	if s.chance(2, 3) {
		say(ask)
	}
	if p.plan != nil && s.chance(1, 2) {
		say(p.plan)
	}
	say(p.solve)
	if s.chance(1, 2) {
		say(p.moral)
	}
}
