//! Fuzz target: Dates, durations, IP allowlists, key names, environments, fields and scopes as typed by people.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_core::fuzzing::args(data));
