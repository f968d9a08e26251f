module github.com/distill-dev/distill

go 1.26
