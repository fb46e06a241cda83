//! Fuzz target: The --secrets-stdin document parser.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_core::fuzzing::secrets_stdin(data));
