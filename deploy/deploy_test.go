// Package deploy_test checks the scheduler files in deploy/ that run
// distill teach on many machines: the Kubernetes Jobs decode strictly as
// batch/v1 Jobs, and the Slurm array script's command lines, run here as
// three processes, write the cache one process writes.
package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// readJob decodes a manifest as a batch/v1 Job, refusing unknown fields.
func readJob(t *testing.T, path string) *batchv1.Job {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var job batchv1.Job
	if err := yaml.UnmarshalStrict(raw, &job); err != nil {
		t.Fatalf("%s is not a batch/v1 Job: %v", path, err)
	}
	if job.APIVersion != "batch/v1" || job.Kind != "Job" {
		t.Fatalf("%s: apiVersion %q kind %q, want batch/v1 Job", path, job.APIVersion, job.Kind)
	}
	return &job
}

// sharedOut checks that the pod mounts a volume at the folder of --out and
// returns --out.
func sharedOut(t *testing.T, path string, pod corev1.PodSpec) string {
	t.Helper()
	if len(pod.Containers) != 1 || pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Fatalf("%s: want one container and restartPolicy Never", path)
	}
	c := pod.Containers[0]
	var out string
	for _, a := range c.Command {
		if v, ok := strings.CutPrefix(a, "--out="); ok {
			out = v
		}
	}
	for _, m := range c.VolumeMounts {
		if out != "" && strings.HasPrefix(out, m.MountPath+"/") {
			for _, v := range pod.Volumes {
				if v.Name == m.Name && v.PersistentVolumeClaim != nil {
					return out
				}
			}
		}
	}
	t.Fatalf("%s: --out %q is not on a mounted persistent volume", path, out)
	return ""
}

func TestKubernetesIndexedJob(t *testing.T) {
	path := filepath.Join("kubernetes", "teach-job.yaml")
	job := readJob(t, path)
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion || s.Completions == nil || s.Parallelism == nil {
		t.Fatalf("%s: want completionMode Indexed with completions and parallelism", path)
	}
	n := int(*s.Completions)
	cmd := s.Template.Spec.Containers[0].Command
	if !slices.Equal(cmd[:2], []string{"distill", "teach"}) {
		t.Errorf("%s: command %q does not run distill teach", path, cmd)
	}
	if want := fmt.Sprintf("--shard=$(JOB_COMPLETION_INDEX)/%d", n); !slices.Contains(cmd, want) {
		t.Errorf("%s: command %q lacks %s: the completion index must be the shard of completions %d", path, cmd, want, n)
	}
	if int(*s.Parallelism) != n {
		t.Errorf("%s: parallelism %d, completions %d", path, *s.Parallelism, n)
	}
	teachOut := sharedOut(t, path, s.Template.Spec)

	mpath := filepath.Join("kubernetes", "merge-job.yaml")
	merge := readJob(t, mpath)
	mcmd := merge.Spec.Template.Spec.Containers[0].Command
	if !slices.Equal(mcmd[:3], []string{"distill", "teach", "merge"}) {
		t.Errorf("%s: command %q does not run distill teach merge", mpath, mcmd)
	}
	if out := sharedOut(t, mpath, merge.Spec.Template.Spec); out != teachOut {
		t.Errorf("%s merges %s, %s writes %s", mpath, out, path, teachOut)
	}
}

// TestStrictDecodingRefusesUnknownFields: the check above would catch a
// misspelt field.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	var job batchv1.Job
	err := yaml.UnmarshalStrict([]byte("apiVersion: batch/v1\nkind: Job\nspec:\n  completionMod: Indexed\n"), &job)
	if err == nil || !strings.Contains(err.Error(), "completionMod") {
		t.Errorf("a misspelt field decoded: %v", err)
	}
}

// TestSlurmArrayLocally runs teach.sbatch as three concurrent array tasks
// and merge.sbatch after them, outside Slurm, and compares the cache with
// one distill teach process's, file for file.
func TestSlurmArrayLocally(t *testing.T) {
	if testing.Short() {
		t.Skip("builds distill and runs the quickstart teacher four times")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	distill := filepath.Join(dir, "distill")
	build := exec.Command("go", "build", "-o", distill, "../cmd/distill")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	qs, _ := filepath.Abs("../testdata/quickstart")
	teacher, data := filepath.Join(qs, "teacher.bin"), filepath.Join(qs, "valid.txt")
	flags := "--max-tokens 6000 --shard-windows 20 --batch 4"
	env := append(os.Environ(), "DISTILL="+distill, "TEACHER="+teacher, "DATA="+data,
		"SEQ_LEN=32", "TOP_K=8", "TEMPERATURE=2", "TEACH_FLAGS="+flags)
	run := func(env []string, name string, args ...string) {
		t.Helper()
		c := exec.Command(name, args...)
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			t.Errorf("%s %q: %v\n%s", name, args, err, out)
		}
	}

	single := filepath.Join(dir, "single")
	run(env, distill, append([]string{"teach", teacher, "--data", data, "--out", single, "--seq-len", "32",
		"--top-k", "8", "--temperature", "2", "--progress", "none"}, strings.Fields(flags)...)...)

	shared := filepath.Join(dir, "shared")
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			// a fresh slice each: appending to env would share its array
			run(slices.Concat(env, []string{"OUT=" + shared, fmt.Sprint("SLURM_ARRAY_TASK_ID=", i), "SLURM_ARRAY_TASK_COUNT=3", "SLURM_ARRAY_TASK_MIN=0"}),
				bash, filepath.Join("slurm", "teach.sbatch"))
		})
	}
	wg.Wait()
	run(append(env, "OUT="+shared), bash, filepath.Join("slurm", "merge.sbatch"))
	if t.Failed() {
		return
	}

	files, _ := filepath.Glob(filepath.Join(single, "*"))
	if len(files) < 4 {
		t.Fatalf("the single-process cache has %d files: want several shards", len(files))
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join(shared, filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s of the array differs from the single-process cache's (%v)", filepath.Base(f), err)
		}
	}
	parts, _ := filepath.Glob(filepath.Join(shared, "manifest.part-*"))
	if len(parts) != 3 {
		t.Errorf("%d part manifests, want 3", len(parts))
	}
}
