// Package corpusgen writes simple English children's stories from a seed,
// the text the quickstart teacher is trained on (testdata/quickstart). The
// project owns this text outright and can regenerate it bit for bit.
//
// # What a story is
//
// A story draws its entities once: a hero and a friend (each a name with a
// gender; the pronouns he/him/his or she/her/her agree with it), an object
// with an adjective and a way to play with it, a place with spots in it,
// and the hero's grown-up. Then it says, in stages, one sentence template
// per step:
//
//	setup:      intro, the hero has the object, 0-2 scene sentences, going to the place
//	problem:    one of lost / stuck / broken / share / afraid: its start, the hero's cry
//	            (dialogue in quotes), the friend coming in, the friend's question
//	resolution: the problem's own solution, sometimes its moral;
//	            a third of the stories tell a second problem with the same entities
//	ending:     one closing sentence naming hero and friend
//
// Templates refer to the entities by placeholder, so a name, object or place
// introduced in the first sentence comes back, with the right pronoun, a
// hundred words later. A model can only predict those tokens by carrying the
// entities through its context, which a larger model does better: that gap
// is what distilling the quickstart teacher into a smaller student has to
// transfer. Stories are kept to MinWords..MaxWords words (60-200); the word
// lists and templates hold a few hundred distinct words.
//
// # Determinism
//
// All choices come from math/rand/v2's PCG (seed, streamID) through
// source.pick, a fixed function of its raw output, so the same seed gives
// the same bytes on every platform and Go release. Tests pin that with
// golden SHA-256 sums; changing a word list or template changes them, and
// the committed testdata/quickstart files must then be regenerated
// (go generate ./internal/corpusgen).
package corpusgen
