//! Taking a lock even if a thread panicked while holding it. Every value behind our mutexes is replaced
//! whole (never left half-written), so what a panicking thread leaves is still a valid value, and one
//! failed command must not stop every later one (or the lock on quit).

use std::sync::{Mutex, MutexGuard, PoisonError};

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
