//! Portal passwords: argon2id hashes in PHC string form, verified in constant time by the argon2 crate.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

pub const MIN_PASSWORD_LENGTH: usize = 8;

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any password with a generated salt")
        .to_string()
}

pub fn verify(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Why a new password is not acceptable, if it is not.
pub fn weakness(password: &str) -> Option<String> {
    (password.chars().count() < MIN_PASSWORD_LENGTH)
        .then(|| format!("a password needs at least {MIN_PASSWORD_LENGTH} characters"))
}
