//! Fuzz target: The decrypted share document, checked as import checks it before trusting it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_core::fuzzing::share_document(data));
