//! What the proof tests (crash, power loss, corruption) share: a seeded generator, so one seed repeats a
//! run, and their counts and seed read from the environment.

use std::time::{SystemTime, UNIX_EPOCH};

/// splitmix64, seeded: the same seed gives the same cases.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 for `n` = 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A non-zero byte, to XOR a byte into something else.
    pub fn mask(&mut self) -> u8 {
        1 + (self.next() % 255) as u8
    }

    /// A fresh text starting with `prefix`.
    pub fn token(&mut self, prefix: &str) -> String {
        format!("{prefix}{:016x}{:016x}", self.next(), self.next())
    }
}

/// A count from the environment variable `var`, else `default`.
pub fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `KEYSTEAD_PROOF_SEED`, else a new seed from the clock (the tests print it when a rule breaks).
pub fn seed_from_env() -> u64 {
    std::env::var("KEYSTEAD_PROOF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}
