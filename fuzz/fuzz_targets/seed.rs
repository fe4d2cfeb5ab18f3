//! Seed files (TOML and JSON) as `keyward admin seed` and `serve --seed` read them, then validate.
#![no_main]

use keyward_core::seed::{SeedFile, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for parsed in [serde_json::from_str::<SeedFile>(text).ok(), toml::from_str::<SeedFile>(text).ok()] {
        if let Some(file) = parsed {
            let _ = validate(&file, 50);
        }
    }
});
