//! TODO(resolver): fuzz target for the resolver's response scrubber (upstream reply bytes → scrubbed records).
//! A stub until the resolver lands on main; it compiles and runs so run.sh covers it already.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // TODO(resolver): decode `data` and call the resolver's scrubber with a fixed question and bailiwick.
    let _ = data;
});
