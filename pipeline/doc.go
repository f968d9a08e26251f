// Package pipeline runs a recipe: the stages teach -> train -> eval ->
// quantize -> export -> report in a run directory, the CI gates on the
// metrics they produce, and the report. The teach and train stages fill
// the student.Job that distill teach and train fill from flags (trainJob)
// and add only the run directory's bookkeeping: validation lines,
// TensorBoard events, manifest outputs.
//
// # Run directory
//
//	manifest.json                 stage records (below)
//	teach/teacher.json            teacher format, config, parameters, bytes
//	soft_labels/                  top-k cache (soft_labels.mode cached; cache_dir)
//	train/checkpoint/             student (model.safetensors + config.json, an
//	                              HF checkpoint, tokenizer.json), optimizer state,
//	                              trainer_state.json
//	train/metrics.jsonl           one line per step, plus {step, val_ppl, teacher_ppl}
//	train/tensorboard/            events.out.tfevents.* written while training
//	eval/metrics.json             teacher and student: ppl, KL, agreement, tokens/s
//	quantize/metrics.json, quantize/<method>.gguf
//	export/student-<dtype>.gguf, export/hf-<dtype>/
//	report/report.md, report/*.png
//	summary.json                  every metric and gate result, for machines
//	.lock                         flock held by the running process (its pid)
//
// A run directory is distill's or it is refused: an existing non-empty
// folder without a manifest is used only with Options.Force, and a stage
// folder is emptied only when the manifest records that stage, so a recipe
// whose output is somebody's folder (`output: ../../`) cannot delete files
// distill did not create. A second run into a folder whose lock is held
// fails at once, naming the holder's pid.
//
// # Manifest
//
// Every stage writes only under <run>/<stage>/ and records its outputs in
// <run>/manifest.json, which is rewritten atomically (temporary file, fsync,
// rename) after every status change. For each stage the manifest holds its
// status (pending, running, done, failed), its input hash, its outputs with
// SHA-256 and size, its timings and its error text.
//
// The input hash of stage s is
//
//	H(s) = sha256( name(s)
//	             || canonical JSON of the recipe sections s reads
//	             || sha256 of every input file s reads (teacher, data)
//	             || H(u) and the output hashes of every stage u before s )
//
// so a change of a section, of a file, or of anything upstream changes it.
// A stage is skipped when its recorded status is done, its recorded input
// hash equals H(s), and every recorded output still exists with its recorded
// SHA-256. Once a stage runs, every stage after it runs too (its inputs are
// about to change).
//
// # Resuming
//
// A stage that was running when the process died (SIGKILL, power loss) is
// found as "running" in the manifest. When its input hash is unchanged it is
// run again with Env.Resume set and its directory kept, so a stage that
// checkpoints continues: train from its last checkpoint (dropping the metric
// lines written after it), teach from the last finished soft-label shard.
// Every other stage simply redoes its work, writing each output atomically. When the hash
// changed, or --from forces the stage, its directory is emptied first.
//
// # Gates and exit codes
//
// After the stages, the gates of the recipe are checked against the metrics
// in summary.json; ExitGateFailed (3) and a *GateError naming the failed
// gates are returned when one fails, ExitError (1) for any other error.
package pipeline
