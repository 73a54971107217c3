//! Allocator tuning for the whole process, done once at start.
//!
//! glibc raises its mmap threshold each time a large block is freed (up to 32 MiB), after
//! which blocks of that size come from per-thread arenas and are kept there instead of
//! being returned to the system. A password check (Argon2) allocates 19 MiB; with the
//! dynamic threshold, 40 wrong log-ins left the server at 450 MB although only two
//! checks ever ran at once. A fixed 1 MiB threshold serves every large block with its
//! own mapping, returned on free: the same load then peaks at 70 MB (two checks) and
//! the idle server holds 30 MB instead of 85 MB (`tests/desk_security.rs` measures it).

/// Fixes glibc's mmap threshold at 1 MiB (no-op elsewhere).
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a glibc allocator parameter; it is called once, at the
    // start of `main`, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
