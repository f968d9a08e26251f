package corpusgen

// The word lists of the stories. Their sizes set the vocabulary (a few
// hundred words in all with the templates); their order is part of the
// output, so changing them changes every generated file (the golden hashes
// in the tests, and testdata/quickstart, say so).

// gender selects a character's pronouns.
type gender uint8

const (
	female gender = iota
	male
)

// pronouns of each gender: subject, object, possessive, capitalised subject.
var pronouns = [2]struct{ subj, obj, poss, Subj string }{
	female: {"she", "her", "her", "She"},
	male:   {"he", "him", "his", "He"},
}

type name struct {
	text string
	g    gender
}

var names = []name{
	{"Lily", female}, {"Mia", female}, {"Sue", female}, {"Anna", female},
	{"Lucy", female}, {"Emma", female}, {"Rose", female}, {"Kate", female},
	{"Zoe", female}, {"Amy", female}, {"Ella", female}, {"Jane", female},
	{"Nina", female}, {"Ivy", female}, {"Ruby", female}, {"Tess", female},
	{"Tom", male}, {"Ben", male}, {"Max", male}, {"Sam", male},
	{"Tim", male}, {"Leo", male}, {"Jack", male}, {"Finn", male},
	{"Ned", male}, {"Bob", male}, {"Jake", male}, {"Dan", male},
	{"Sid", male}, {"Ray", male}, {"Gus", male}, {"Ted", male},
}

// kinds of hero: what the character is, by gender ("a little girl").
var kinds = [2][]string{
	female: {"girl", "little girl", "kind girl", "happy girl", "small girl"},
	male:   {"boy", "little boy", "kind boy", "happy boy", "small boy"},
}

// animals a hero or friend may be instead of a child; the name carries the
// gender either way.
var animals = []string{"cat", "dog", "bunny", "bird", "bear", "frog", "duck", "fox", "mouse", "pig"}

// object is a thing the story is about, with the verbs that suit it.
type object struct {
	noun string
	play string // "play with it" style phrase using "it"
}

var objects = []object{
	{"ball", "throw it high"}, {"kite", "fly it in the wind"}, {"doll", "hug it"},
	{"truck", "push it around"}, {"hat", "wear it"}, {"book", "read it"},
	{"drum", "bang on it"}, {"boat", "sail it"}, {"teddy bear", "hug it"},
	{"box", "put things in it"}, {"cup", "drink from it"}, {"toy car", "race it"},
	{"blanket", "sit on it"}, {"shell", "hold it"}, {"flower", "smell it"},
	{"balloon", "hold it tight"}, {"bike", "ride it"}, {"crayon", "draw with it"},
}

var colours = []string{"red", "blue", "green", "yellow", "pink", "purple", "big", "little", "shiny", "soft", "old", "new"}

// place is where the story happens, and the spots in it where a thing can
// be lost or stuck.
type place struct {
	noun  string
	spots []string
}

var places = []place{
	{"park", []string{"under a bench", "behind a tree", "in the tall grass", "near the slide"}},
	{"garden", []string{"under a bush", "behind the flowers", "in the mud", "near the gate"}},
	{"forest", []string{"under a log", "behind a big rock", "in a hole", "near the river"}},
	{"beach", []string{"under the sand", "behind a rock", "in the water", "near a boat"}},
	{"yard", []string{"under the porch", "behind the fence", "in a box", "near the tree"}},
	{"farm", []string{"under the hay", "behind the barn", "in the pond", "near the cows"}},
	{"house", []string{"under the bed", "behind the door", "in the kitchen", "near the stairs"}},
	{"school", []string{"under a desk", "behind the shelf", "in the playground", "near the window"}},
}

var days = []string{"One day", "One sunny day", "One morning", "One afternoon", "One rainy day", "Later that day"}

var feelingsGood = []string{"happy", "glad", "proud", "excited"}
var feelingsBad = []string{"sad", "worried", "upset", "scared"}

var traits = []string{"kind", "funny", "brave", "tall", "quick", "smart", "quiet", "strong"}

var grownups = []string{"mom", "dad", "grandma", "grandpa"}
