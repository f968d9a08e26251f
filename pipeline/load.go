package pipeline

import (
	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/recipe"
	"github.com/distill-dev/distill/tokenizer"
)

// Load reads and validates a recipe, including the checks that need the
// teacher's shape (read from the checkpoint header, no weights loaded) and
// its tokenizer's size: what `distill validate` and `distill run` do before
// any work starts.
func Load(path string) (*recipe.Recipe, error) {
	return recipe.LoadAndValidate(path, ValidateContext())
}

// ValidateContext is the recipe.ValidateContext the runner uses.
func ValidateContext() recipe.ValidateContext {
	return recipe.ValidateContext{Teacher: inspectTeacher}
}

func inspectTeacher(t recipe.Teacher) (recipe.TeacherInfo, error) {
	info, err := checkpoint.Inspect(string(t.Path))
	if err != nil {
		return recipe.TeacherInfo{}, err
	}
	ti := recipe.TeacherInfo{Config: info.Config}
	if t.Tokenizer != "" {
		tok, err := tokenizer.Load(string(t.Tokenizer))
		if err != nil {
			return recipe.TeacherInfo{}, err
		}
		ti.TokenizerVocab = tok.VocabSize()
	}
	return ti, nil
}
