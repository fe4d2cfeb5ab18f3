//! Wycheproof's ECDSA P-256 / SHA-256 vectors in IEEE P1363 form (the JWT form) through the
//! signature check the verifier uses: every valid vector accepted, every invalid one refused.
#![allow(clippy::unwrap_used)]

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use keyward_token::verify::check_signature;
use wycheproof::TestResult;
use wycheproof::ecdsa::{TestName, TestSet};

#[test]
fn t5_wycheproof_p256_sha256_p1363_vectors() {
    let set = TestSet::load(TestName::EcdsaSecp256r1Sha256P1363).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in &set.test_groups {
        let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &*group.der).unwrap();
        for test in &group.tests {
            let accepted = check_signature(&key, &test.msg, &test.sig).is_ok();
            match test.result {
                TestResult::Valid => {
                    assert!(accepted, "valid vector {} ({}) refused", test.tc_id, test.comment);
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(!accepted, "invalid vector {} ({}) accepted", test.tc_id, test.comment);
                    invalid += 1;
                }
                TestResult::Acceptable => {}
            }
        }
    }
    assert!(valid > 50 && invalid > 50, "ran {valid} valid and {invalid} invalid vectors");
}
