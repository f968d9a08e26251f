package pipeline

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// LockFile is the run directory's lock: a run holds an exclusive flock on it
// and writes its pid into it, so a second run into the same directory fails
// at once naming the first.
const LockFile = ".lock"

// ErrRunLocked is returned (wrapped) when another process holds the run
// directory's lock.
var ErrRunLocked = errors.New("run directory is in use")

// checkRunDir refuses to adopt a directory distill did not create: an
// existing, non-empty folder without a manifest is somebody's files, and
// running there would overwrite summary.json and stage folders in it.
// force adopts it anyway (stage folders that already exist there are still
// never deleted, see clearStageDir).
func checkRunDir(dir string, force bool) error {
	if force {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
		return nil
	}
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pipeline: run directory: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(8)
	if err != nil && err != io.EOF {
		return fmt.Errorf("pipeline: run directory %s: %w", dir, err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == LockFile })
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("pipeline: output %s is a non-empty folder that is not a distill run directory (no %s; it holds %s): choose an empty or new output folder in the recipe, or pass --force to use this one (distill then writes its files there but deletes nothing it did not create)",
		dir, ManifestFile, strings.Join(names, ", "))
}

// clearStageDir empties a stage's folder before it runs afresh. Only a
// folder the manifest records as this stage's is deleted: a folder of the
// same name that distill did not create (an adopted --force directory) is
// refused instead, so nothing outside distill's own stage folders is ever
// removed.
func clearStageDir(m *Manifest, stage, dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if m.Stage(stage) == nil {
		return fmt.Errorf("pipeline: stage %s: %s exists but was not created by distill (the manifest has no record of it): move it away or choose another output folder", stage, dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("pipeline: stage %s: clearing %w", stage, err)
	}
	return nil
}

// lockRunDir takes the run directory's exclusive lock and records this
// process's pid in it. The returned function releases it.
func lockRunDir(dir string) (func(), error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pipeline: locking the run directory: %w", err)
	}
	if err := tryLock(f); err != nil {
		b, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		holder := "another process"
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
			holder = "process " + strconv.Itoa(pid)
		}
		return nil, fmt.Errorf("pipeline: %w: %s is locked by %s (another distill run); wait for it to finish or stop it, then run again: %v",
			ErrRunLocked, dir, holder, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		f.Truncate(0)
		unlock(f)
		f.Close()
	}, nil
}
