package corpusgen_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/distill-dev/distill/internal/corpusgen"
)

func ExampleStories() {
	n := 0
	for st := range corpusgen.Stories(7) {
		fmt.Printf("%s (female %v) and %s, a %s, the %s: %d words\n",
			st.Hero.Name, st.Hero.Female, st.Friend.Name, st.Object, st.Place, len(strings.Fields(st.Text)))
		if n++; n == 3 {
			break
		}
	}
	// Output:
	// Tim (female false) and Anna, a ball, the house: 99 words
	// Anna (female true) and Emma, a crayon, the farm: 115 words
	// Sue (female true) and Max, a bike, the forest: 82 words
}

func ExampleWrite() {
	if err := corpusgen.Write(os.Stdout, 1, 1); err != nil {
		panic(err)
	}
	// Output:
	// Once there was a kind girl named Tess. She was three years old. Her grandma gave her a green blanket. Tess liked the blanket because it was green. At night, Tess put the blanket next to her bed. One afternoon, Tess took her blanket to the farm. Tess played for a long time. When she looked up, the blanket was gone! Tess felt upset. She said, "I can not find my blanket." Just then, Tess's friend Tom came by. Tom asked, "What is wrong, Tess?" Tom had an idea. "We can ask the grandma," he said. Tom and Tess looked everywhere. At last, Tom found the blanket near the cows. From that day on, Tess always kept her blanket close. Later, they played again. The blanket fell on a rock. It broke into two pieces. "Oh no, my green blanket!" said Tess. "Do not be upset," said Tom. "I will help you." Tess's grandma came and fixed the blanket with glue. Tess learned to play gently with her things. Tess and Tom were best friends after that.
}
