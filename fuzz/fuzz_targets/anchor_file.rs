//! Fuzz target: The anchor file of a vault's last write, as unlock reads it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_core::fuzzing::anchor_file(data));
