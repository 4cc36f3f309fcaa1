//! The process's memory allocator: mimalloc, for Rust code and for tree-sitter's C code alike.
//!
//! Parsing and rewriting a request allocate small blocks by the thousand (tree-sitter's subtrees
//! and stacks, our spans and strings). mimalloc's thread-local free lists serve them in fewer
//! instructions than glibc's malloc: 13% fewer for a fresh 10 KB request (see the README's
//! benchmarks). tree-sitter calls its own `malloc` unless told otherwise, hence the second half.

#![allow(unsafe_code)]

use std::sync::Once;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Points tree-sitter's allocations at mimalloc. Must run before tree-sitter allocates anything:
/// a block from libc's `malloc` must never reach `mi_free` (the process crashes). Every
/// tree-sitter object needs a grammar or comes from one that does, so [`crate::lang::Lang::grammar`]
/// calls this, and the code that makes parsers and query cursors asks for the grammar first
/// (`lang::query`; the benchmarks likewise). The integration tests start the binary through each
/// first use (scan, detection, redact, the proxy) and would crash if one came first.
pub(crate) fn tree_sitter_on_mimalloc() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: the four functions are one allocator family, return null only on failure
        // for non-zero sizes (as malloc does) and align as malloc does. `Once` makes this the
        // only call, and it runs before any tree-sitter object exists (see above); other
        // threads wait on `Once` until it is done.
        unsafe {
            tree_sitter::set_allocator(Some(tree_sitter::Allocator {
                malloc: libmimalloc_sys::mi_malloc,
                calloc: libmimalloc_sys::mi_calloc,
                realloc: libmimalloc_sys::mi_realloc,
                free: libmimalloc_sys::mi_free,
            }));
        }
    });
}
