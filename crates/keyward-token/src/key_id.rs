//! K8: Key IDs are 10 random characters from `A-Z0-9`, drawn from the system RNG.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use keyward_core::ids::KeyId;

use crate::CryptoError;

/// A fresh random Key ID. Uniqueness across the installation is enforced by storage, which refuses
/// a duplicate so the caller can draw again.
pub fn generate_key_id() -> Result<KeyId, CryptoError> {
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(KeyId::LEN);
    let mut buf = [0u8; 32];
    while out.len() < KeyId::LEN {
        rng.fill(&mut buf).map_err(|_| CryptoError::Rng)?;
        // Rejection sampling: 252 = 7 * 36, so bytes below it map uniformly onto the alphabet.
        for b in buf.iter().copied().filter(|b| *b < 252) {
            if out.len() == KeyId::LEN {
                break;
            }
            out.push(char::from(KeyId::ALPHABET[usize::from(b % 36)]));
        }
    }
    KeyId::parse(&out).map_err(|_| CryptoError::Rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn k8_generated_key_ids_have_the_apple_shape_and_differ() {
        let ids: HashSet<String> =
            (0..1000).map(|_| generate_key_id().map(|k| k.to_string()).unwrap_or_default()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| KeyId::parse(id).is_ok()));
    }

    #[test]
    fn k8_key_ids_use_the_whole_alphabet() {
        let seen: HashSet<char> = (0..500)
            .flat_map(|_| generate_key_id().map(|k| k.to_string()).unwrap_or_default().chars().collect::<Vec<_>>())
            .collect();
        assert_eq!(seen.len(), 36, "every one of A-Z0-9 appears in 5000 draws");
    }
}
