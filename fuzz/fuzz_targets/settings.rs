//! Fuzz target: The reminder thresholds of the settings file, as core reads and validates them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_core::fuzzing::settings(data));
