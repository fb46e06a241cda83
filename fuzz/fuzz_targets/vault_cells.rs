//! Fuzz target: One sealed vault cell (key metadata, secrets, history, audit event, contact, sharing identity) as the vault reads it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keystead_core::fuzzing::vault_cells(data));
