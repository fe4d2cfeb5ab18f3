//! Console passwords, hashed with argon2id (PHC strings). The plain password is only borrowed.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use keyward_core::secret::PasswordHash;

use crate::CryptoError;

/// A random password of 20 characters from an unambiguous alphabet (for generated logins).
pub fn generate_password() -> Result<String, CryptoError> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    SystemRandom::new().fill(&mut bytes).map_err(|_| CryptoError::Rng)?;
    Ok(bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect())
}

pub fn hash_password(password: &str) -> Result<PasswordHash, CryptoError> {
    let phc = Argon2::default().hash_password(password.as_bytes()).map_err(|_| CryptoError::Password)?;
    Ok(PasswordHash::new(phc.to_string()))
}

/// Constant-time comparison inside argon2; false for a malformed stored hash.
pub fn verify_password(password: &str, hash: &PasswordHash) -> bool {
    match Phc::new(hash.expose()) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_argon2id_hash_only() {
        let hash = hash_password("correct horse").expect("hashes");
        assert!(hash.expose().starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", &PasswordHash::new("garbage".into())));
    }
}
