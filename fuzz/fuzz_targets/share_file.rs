//! Fuzz target: A whole share file (age header, armor, payload, document) opened as import opens it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_core::fuzzing::share_file(data));
