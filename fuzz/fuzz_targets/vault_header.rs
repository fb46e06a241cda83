//! Fuzz target: The vault header row as unlock checks it, and the wrapped vault key it guards.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_core::fuzzing::vault_header(data));
