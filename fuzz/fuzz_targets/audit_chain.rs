//! Fuzz target: The audit chain verifier over intact, changed and made-up rows.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_core::fuzzing::audit_chain(data));
