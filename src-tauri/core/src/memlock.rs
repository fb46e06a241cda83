//! The vault key in memory that is never swapped out or written into a core dump: a page of its own,
//! locked with `mlock` (and marked `MADV_DONTDUMP` on Linux) where the OS allows it.

use std::ops::Deref;
use zeroize::Zeroize;

/// A value in its own page-aligned allocation, locked in RAM while it lives (best effort: where the
/// OS refuses, e.g. a `RLIMIT_MEMLOCK` too small, it still works, only swappable). Wiped on drop.
pub(crate) struct Locked<T: Zeroize> {
    ptr: *mut T,
    /// Unlocks the pages when dropped; `None` when the OS refused the lock.
    lock: Option<region::LockGuard>,
    /// Owns the pages; freed last.
    _pages: region::Allocation,
}

// SAFETY: `Locked` owns its allocation exclusively (like `Box<T>`); the raw pointer is never shared.
unsafe impl<T: Zeroize + Send> Send for Locked<T> {}
// SAFETY: shared access only hands out `&T` (like `Box<T>`).
unsafe impl<T: Zeroize + Sync> Sync for Locked<T> {}

impl<T: Zeroize> Locked<T> {
    /// Moves `value` into locked memory. The value passed in is moved (a bitwise copy may remain on the
    /// stack of the caller until overwritten, as with any move).
    pub(crate) fn new(value: T) -> Self {
        let size = std::mem::size_of::<T>().max(1);
        let mut pages = region::alloc(size, region::Protection::READ_WRITE)
            .expect("allocating one page for the vault key");
        let ptr = pages.as_mut_ptr::<T>();
        // SAFETY: the allocation is page-aligned (so aligned for T), at least size_of::<T>() bytes, and
        // not yet initialised; writing moves `value` in without dropping anything.
        unsafe { ptr.write(value) };
        let lock = region::lock(ptr as *const u8, size).ok();
        #[cfg(target_os = "linux")]
        // SAFETY: advice on pages this value owns; failure only means the advice is not taken.
        unsafe {
            libc::madvise(ptr.cast(), pages.len(), libc::MADV_DONTDUMP);
        }
        Locked {
            ptr,
            lock,
            _pages: pages,
        }
    }

    /// Whether the OS agreed to keep the value out of swap.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn is_locked(&self) -> bool {
        self.lock.is_some()
    }
}

impl<T: Zeroize> Deref for Locked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `ptr` points to an initialised T that lives as long as `self`.
        unsafe { &*self.ptr }
    }
}

impl<T: Zeroize> Drop for Locked<T> {
    fn drop(&mut self) {
        // SAFETY: `ptr` holds an initialised T, dropped exactly once here; the pages are freed after.
        unsafe {
            (*self.ptr).zeroize();
            std::ptr::drop_in_place(self.ptr);
        }
        // Unlock before the allocation is unmapped (field order would do it too; say it).
        self.lock.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_reads_back_and_is_locked_where_the_os_allows() {
        let v = Locked::new([7u8; 32]);
        assert_eq!(*v, [7u8; 32]);
        #[cfg(target_os = "linux")]
        {
            // RLIMIT_MEMLOCK is at least one page on every Linux default (64 KiB or more).
            assert!(v.is_locked());
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let locked_kb: u64 = status
                .lines()
                .find_map(|l| l.strip_prefix("VmLck:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
                .unwrap();
            assert!(locked_kb >= 4, "VmLck {locked_kb} kB");
        }
    }
}
