//! JSON:API request bodies as the write endpoints check them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| keyward_server::fuzzing::body(data));
