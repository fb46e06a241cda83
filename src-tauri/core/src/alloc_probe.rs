//! Test only: the unit tests' global allocator, which counts reallocations per thread, so a test can
//! prove a buffer holding secrets was sized once (a reallocation leaves the old block in freed memory).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static REALLOCS: Cell<usize> = const { Cell::new(0) };
}

struct CountingAllocator;

// SAFETY: every call is passed on to the system allocator unchanged; only a thread-local counter is
// touched besides (const-initialised, so reading it never allocates).
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = REALLOCS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// What `f` returns, and how many times memory was reallocated on this thread while it ran.
pub(crate) fn reallocs_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = REALLOCS.with(Cell::get);
    let out = f();
    (out, REALLOCS.with(Cell::get) - before)
}
