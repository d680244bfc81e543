//! Gives the heap's free pages back to the system once a zone is built or a replaced one freed,
//! and keeps a load's large buffers out of the heap (glibc returns only the heap's top on `free`).
//! Called at start, after loads and after frees of whole zones; never per query.

/// Blocks of this size or more are mapped on their own (glibc's `M_MMAP_THRESHOLD`): freed, they
/// go back to the system at once. glibc's default starts at 128 KiB but rises, up to 32 MiB, each
/// time a mapped block is freed, after which a load's 1 MiB chunks of records
/// (`source_records`) come from the heap and, freed during the build, stay resident while a
/// reload also holds the served zone.
const MAPPED_BLOCK_BYTES: i32 = 1 << 20;

/// Fixes the size from which blocks are mapped on their own (`MAPPED_BLOCK_BYTES`); a no-op
/// where the allocator is not glibc's. Called once, at the start of the process.
pub fn map_large_blocks_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes two integers; it only changes glibc's allocation policy.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MAPPED_BLOCK_BYTES);
    }
}

/// Returns free heap pages to the system (glibc's `malloc_trim`, which also releases free
/// pages inside the heap, not only at its top); a no-op where the allocator is not glibc's. A
/// million-record zone's build leaves tens of MB so (its records and lists, freed in pieces),
/// and a reload would otherwise start from them on top of the zone it keeps serving.
pub fn give_back_free_heap_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer of ours; it walks glibc's own arenas under their locks.
    unsafe {
        libc::malloc_trim(0);
    }
}
