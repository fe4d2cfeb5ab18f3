//! Query strings: parameters, filters, sorts, fields, limits and cursors of every list endpoint.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = std::str::from_utf8(data) {
        keyward_server::fuzzing::query(q);
    }
});
