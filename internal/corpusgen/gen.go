package corpusgen

// Regenerate the quickstart data (train.txt, valid.txt, tokenizer.bin)
// after changing this package; quickstart.TestCommittedFiles fails until
// then.
//go:generate go run ./cmd/quickstartgen -out ../../testdata/quickstart
