// Package tfevents writes TensorBoard event files
// (events.out.tfevents.<unix seconds>.<host>), so that
// `tensorboard --logdir <run>` plots a run's training scalars.
//
// # Record framing (tensorflow/core/lib/io/record_writer.cc)
//
// An event file is a sequence of records, each
//
//	uint64 length              little endian
//	uint32 masked_crc32c(length bytes)
//	byte   data[length]        one serialised Event proto
//	uint32 masked_crc32c(data)
//
// where crc32c is CRC-32 with the Castagnoli polynomial and the mask is
//
//	masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8   (mod 2^32)
//
// (masking keeps a CRC stored inside CRC'd data from degrading the check).
//
// # Protos (tensorflow/core/util/event.proto, framework/summary.proto)
//
// Only the fields TensorBoard needs for scalars are written, encoded by hand
// in the protobuf wire format (tag = field<<3 | wire type):
//
//	Event   { double wall_time = 1; int64 step = 2;
//	          string file_version = 3; Summary summary = 5; }
//	Summary { repeated Value value = 1; }
//	Value   { string tag = 1; float simple_value = 2; }
//
// The first record of a file carries file_version = "brain.Event:2" and no
// summary; every later record one or more scalar values.
package tfevents
