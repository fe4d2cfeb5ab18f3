//! Opaque paging cursors (`cursor=`), which clients send back as they please.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        keyward_server::fuzzing::cursor(s);
    }
});
