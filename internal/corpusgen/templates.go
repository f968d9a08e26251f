package corpusgen

// Sentence templates, by story stage. Placeholders (replaced per story):
//
//	{H} {he} {him} {his} {He} {His}   the hero's name and pronouns
//	{F} {fhe} {fhim} {fhis} {Fhe}     the friend's name and pronouns
//	{kind} {animal}                   what the hero is ("little girl"), what the friend is ("fox")
//	{obj} {adj} {play}                the story's object, its adjective, a way to play with it
//	{place} {spot} {grown}            the place, a spot in it, the hero's grown-up
//	{day} {good} {bad}                an opening, a good and a bad feeling
//	{trait}                           something the friend is ("brave")
//
// A sentence that starts with {H} and does not name {F} uses only the
// hero's pronouns (the pronoun-agreement test checks it); likewise for {F}.

// intro opens every story: who the hero is.
var intro = []string{
	`Once upon a time, there was a {kind} named {H}.`,
	`Once upon a time, there was a {kind} named {H}. {He} lived near a big {place}.`,
	`There was once a {kind} called {H}.`,
	`{H} was a {kind} who liked to play.`,
	`Once there was a {kind} named {H}. {He} was three years old.`,
}

// have says the hero owns the object.
var have = []string{
	`{H} had a {adj} {obj}.`,
	`{H} had a {adj} {obj} that {he} loved very much.`,
	`{His} {grown} gave {him} a {adj} {obj}.`,
	`{H} loved {his} {adj} {obj} more than anything.`,
}

// setupExtra are optional scene sentences before the problem.
var setupExtra = []string{
	`Every day, {he} liked to {play}.`,
	`{H} took the {obj} everywhere {he} went.`,
	`{H} liked to {play} with {his} {obj}.`,
	`{He} would {play} all day long.`,
	`The sun was warm and the sky was blue.`,
	`{H} felt {good} when {he} had {his} {obj}.`,
	`{H} showed the {obj} to {his} {grown}. "It is very nice," said the {grown}.`,
	`At night, {H} put the {obj} next to {his} bed.`,
	`{H} liked the {obj} because it was {adj}.`,
	`Birds sang in the trees and the wind was soft.`,
}

// goOut takes the hero to the place of the story.
var goOut = []string{
	`{day}, {H} went to the {place} with {his} {obj}.`,
	`{day}, {H} took {his} {obj} to the {place}.`,
	`{day}, {H} and {his} {grown} went to the {place}. {H} brought {his} {obj}.`,
}

// problem is one kind of trouble: the sentences that start it, what the
// hero says, and the ways it is solved and the moral drawn.
type problem struct {
	start, cry, plan, solve, moral []string
}

var problems = []problem{
	{ // lost
		plan: []string{
			`{F} said, "Let us look {spot}." They looked, but it was not there.`,
			`{F} had an idea. "We can ask the {grown}," {fhe} said.`,
			`They looked high and low. {H} did not give up.`,
		},
		start: []string{
			`{H} played for a long time. When {he} looked up, the {obj} was gone!`,
			`{H} put the {obj} down to look at a bird. When {he} turned around, the {obj} was not there.`,
			`The wind was strong. It took the {obj} away!`,
		},
		cry: []string{
			`{H} said, "Oh no! Where is my {obj}?"`,
			`"My {obj}! I lost my {obj}!" {H} cried.`,
			`{H} felt {bad}. {He} said, "I can not find my {obj}."`,
		},
		solve: []string{
			`{F} and {H} looked everywhere. At last, {F} found the {obj} {spot}.`,
			`They looked {spot} and there it was! The {adj} {obj} was safe.`,
			`{F} said, "Look, {H}! It is {spot}!" {H} ran and picked up the {obj}.`,
		},
		moral: []string{
			`From that day on, {H} always kept {his} {obj} close.`,
			`{H} learned to take good care of {his} things.`,
		},
	},
	{ // stuck
		plan: []string{
			`{F} looked at the {obj}. "It is too far," {fhe} said.`,
			`{F} tried to get it, but it was too hard.`,
		},
		start: []string{
			`{H} threw the {obj} up high. It went up and up and got stuck in a tall tree.`,
			`The {obj} rolled away and got stuck {spot}.`,
			`A big wind came. The {obj} flew up and got stuck in a tree.`,
		},
		cry: []string{
			`{H} tried to reach it, but {he} was too small.`,
			`{H} jumped and jumped, but {he} could not get it. "Help!" {he} said.`,
			`"I can not reach my {obj}," {H} said. {He} was very {bad}.`,
		},
		solve: []string{
			`{F} was tall. {Fhe} reached up and got the {obj} down.`,
			`{F} found a long stick. {Fhe} pushed the {obj} and it fell down.`,
			`{F} ran to get {H}'s {grown}. The {grown} got the {obj} down.`,
		},
		moral: []string{
			`{H} learned that it is good to ask for help.`,
			`{H} was careful with {his} {obj} after that.`,
		},
	},
	{ // broken
		plan: []string{
			`{F} looked at the pieces. "I know what to do," {fhe} said.`,
			`{F} said, "Do not cry, {H}. We can fix it."`,
		},
		start: []string{
			`{H} played too hard and the {obj} broke!`,
			`The {obj} fell on a rock. It broke into two pieces.`,
			`{H} dropped the {obj} and it broke.`,
		},
		cry: []string{
			`{H} started to cry. "My {obj} is broken," {he} said.`,
			`{H} was very {bad}. {He} did not know what to do.`,
			`"Oh no, my {adj} {obj}!" said {H}.`,
		},
		solve: []string{
			`{F} had some glue. {Fhe} helped {H} fix the {obj}.`,
			`{F} said, "We can fix it!" They used tape, and soon the {obj} was as good as new.`,
			`{H}'s {grown} came and fixed the {obj} with glue.`,
		},
		moral: []string{
			`{H} learned to play gently with {his} things.`,
			`{H} learned that broken things can often be fixed.`,
		},
	},
	{ // share
		start: []string{
			`Then {F} came by. {Fhe} wanted to play with the {obj} too.`,
			`{F} saw the {obj}. {Fhe} asked, "Can I play with it?"`,
			`At the {place}, {F} looked at the {obj} with big eyes.`,
		},
		cry: []string{
			`{H} did not want to share. "No, it is mine!" {he} said.`,
			`{H} held the {obj} tight. {He} did not want to share.`,
			`"It is my {obj}," said {H}. {He} felt {bad} inside.`,
		},
		solve: []string{
			`Then {H} saw that {F} was sad. {He} gave {F} the {obj}. "Let us play together," {H} said.`,
			`{H}'s {grown} said, "Sharing is kind." So {H} let {F} play with the {obj}.`,
			`{H} thought about it. Then {he} said, "We can take turns." {F} smiled.`,
		},
		moral: []string{
			`{H} learned that sharing makes everyone {good}.`,
			`Playing together was more fun than playing alone.`,
		},
	},
	{ // afraid
		start: []string{
			`It began to get dark at the {place}.`,
			`Suddenly, there was a loud noise {spot}.`,
			`A big dog came out from {spot}. It barked very loud.`,
		},
		cry: []string{
			`{H} was {bad}. {He} held {his} {obj} tight.`,
			`{H} wanted to go home. "I am scared," {he} said.`,
			`{H} hid behind a tree. {He} was very {bad}.`,
		},
		solve: []string{
			`{F} held {H}'s hand. "Do not be scared. I am here," {F} said.`,
			`{F} said, "It is only the wind." {H} felt better.`,
			`{H}'s {grown} came and gave {him} a big hug. Then they all walked home.`,
		},
		moral: []string{
			`{H} learned that friends make scary things less scary.`,
			`{H} was not scared anymore.`,
		},
	},
}

// meet brings the friend in when the problem did not.
var meet = []string{
	`Just then, {H}'s friend {F} came by.`,
	`{F}, a {animal}, heard {H} and came to help.`,
	`{H}'s friend {F} saw {him} and ran over.`,
}

// describe says who the friend is; optional, after meet.
var describe = []string{
	`{F} was a {trait} {animal}.`,
	`{F} was {trait} and always liked to help.`,
	`{F} lived in a little house next to the {place}.`,
}

// ask is the friend's question to the hero.
var ask = []string{
	`"Why are you {bad}, {H}?" {F} asked.`,
	`{F} asked, "What is wrong, {H}?"`,
	`"Do not be {bad}," said {F}. "I will help you."`,
}

// end closes the story.
var end = []string{
	`{H} said, "Thank you, {F}!" They played at the {place} until the sun went down.`,
	`{H} was so {good}. {He} gave {F} a big hug.`,
	`{H} and {F} were best friends after that.`,
	`{H} smiled. {He} and {F} played together all day.`,
	`That night, {H} went to bed {good}.`,
	`{H} and {F} walked home together. It was a good day.`,
	`The next day, {H} told {his} {grown} all about it.`,
}
