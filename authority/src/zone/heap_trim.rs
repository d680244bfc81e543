//! Gives the heap's free pages back to the system once a zone is built or a replaced one freed:
//! glibc returns only the top of its heap on `free`, so a load's transient lists stay resident.
//! Called after loads and frees of whole zones, never per query.

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
