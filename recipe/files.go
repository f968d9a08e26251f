package recipe

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DetectFormat returns the teacher's checkpoint format: Format when it is
// not auto, otherwise hf for a directory, gguf for a file starting with the
// GGUF magic, llama2c for any other file.
func (t Teacher) DetectFormat() (string, error) {
	fi, err := os.Stat(string(t.Path))
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		if t.Format != FormatAuto && t.Format != FormatHF {
			return "", fmt.Errorf("format %s wants a file, %s is a directory", t.Format, t.Path)
		}
		if _, err := os.Stat(filepath.Join(string(t.Path), "config.json")); err != nil {
			return "", fmt.Errorf("%s has no config.json (an HF checkpoint directory needs one)", t.Path)
		}
		return FormatHF, nil
	}
	if t.Format == FormatHF {
		return "", fmt.Errorf("format hf wants a directory with config.json, %s is a file", t.Path)
	}
	gguf, err := hasGGUFMagic(string(t.Path))
	if err != nil {
		return "", err
	}
	switch {
	case t.Format == FormatGGUF && !gguf:
		return "", fmt.Errorf("format gguf but %s does not start with the GGUF magic", t.Path)
	case t.Format == FormatLlama2C && gguf:
		return "", fmt.Errorf("format llama2c but %s is a GGUF file", t.Path)
	case gguf:
		return FormatGGUF, nil
	}
	return FormatLlama2C, nil
}

func hasGGUFMagic(name string) (bool, error) {
	f, err := os.Open(name)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return false, fmt.Errorf("%s is too short to be a checkpoint", name)
		}
		return false, err
	}
	return bytes.Equal(magic[:], []byte("GGUF")), nil
}

// checkFiles reports named inputs that do not exist or have the wrong kind,
// and returns whether the teacher could be examined.
func (r *Recipe) checkFiles(errs *errorList) (teacherOK bool) {
	teacherOK = true
	if _, err := r.Teacher.DetectFormat(); err != nil {
		r.bad(errs, "teacher.path", "%s", fileError(err))
		teacherOK = false
	}
	if r.Teacher.Tokenizer != "" {
		if _, err := os.Stat(string(r.Teacher.Tokenizer)); err != nil {
			r.bad(errs, "teacher.tokenizer", "%s", fileError(err))
			teacherOK = false
		}
	}
	if r.Student.Tokenizer != "" {
		if _, err := os.Stat(string(r.Student.Tokenizer)); err != nil {
			r.bad(errs, "student.tokenizer", "%s", fileError(err))
		}
	}
	r.checkInput(errs, "data.train", r.Data.Train)
	r.checkInput(errs, "data.validation", r.Data.Validation)
	if r.IsSet("evaluation.data") {
		r.checkInput(errs, "evaluation.data", r.Evaluation.Data)
	}
	if r.Quantization != nil {
		r.checkInput(errs, "quantization.calibration", r.Quantization.Calibration)
	}
	if fi, err := os.Stat(string(r.Output)); err == nil && !fi.IsDir() {
		r.bad(errs, "output", "%s is a file, not a folder", r.Output)
	}
	return teacherOK
}

// checkInput wants p to be a non-empty regular file (when given).
func (r *Recipe) checkInput(errs *errorList, field string, p Path) {
	if p == "" {
		return
	}
	fi, err := os.Stat(string(p))
	switch {
	case err != nil:
		r.bad(errs, field, "%s", fileError(err))
	case fi.IsDir():
		r.bad(errs, field, "%s is a directory, not a text file", p)
	case fi.Size() == 0:
		r.bad(errs, field, "%s is empty", p)
	}
}

// fileError shortens "stat /x: no such file or directory" to
// "/x: no such file or directory".
func fileError(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Path + ": " + pe.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), "stat ")
}
