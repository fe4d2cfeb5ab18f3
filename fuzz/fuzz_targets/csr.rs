//! Spec F1: whatever a client sends as `csrContent` (text, or arbitrary DER in a PEM frame), the
//! CSR check answers a value or a refusal, never a panic.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = keyward_token::codesign::csr::check(text);
    }
    let body = base64::engine::general_purpose::STANDARD.encode(data);
    let pem = format!("-----BEGIN CERTIFICATE REQUEST-----\n{body}\n-----END CERTIFICATE REQUEST-----\n");
    let _ = keyward_token::codesign::csr::check(&pem);
});
