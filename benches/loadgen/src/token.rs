//! Handshake tokens for the load's clients: HS256 JWTs with `sub` = the user id (a
//! string, as JWT prescribes), `iat` and `exp`, signed with the secret the server
//! checks them with. Each client gets its own, so every connection passes the
//! server's real authentication.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{EncodingKey, Header, encode};
use serde::Serialize;

#[derive(Serialize)]
struct Claims {
    sub: String,
    iat: u64,
    exp: u64,
}

/// Signs tokens with one secret.
pub struct Signer {
    key: EncodingKey,
    header: Header,
    ttl: Duration,
}

/// A token could not be signed.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign a token: {0}")]
pub struct SignError(#[from] jsonwebtoken::errors::Error);

impl Signer {
    /// A signer for `secret`, issuing tokens valid for `ttl`.
    pub fn new(secret: &str, ttl: Duration) -> Self {
        Self {
            key: EncodingKey::from_secret(secret.as_bytes()),
            header: Header::default(),
            ttl,
        }
    }

    /// The token of `user`.
    pub fn token(&self, user: u64) -> Result<String, SignError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let claims = Claims {
            sub: user.to_string(),
            iat: now,
            exp: now + self.ttl.as_secs(),
        };
        Ok(encode(&self.header, &claims, &self.key)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Back {
        sub: String,
        exp: u64,
        iat: u64,
    }

    #[test]
    fn tokens_carry_the_user_and_verify_with_the_same_secret() {
        let signer = Signer::new("s3cret", Duration::from_secs(600));
        let token = signer.token(42).unwrap();
        let back = decode::<Back>(
            &token,
            &DecodingKey::from_secret(b"s3cret"),
            &Validation::new(Algorithm::HS256),
        )
        .unwrap()
        .claims;
        assert_eq!(back.sub, "42");
        assert_eq!(back.exp - back.iat, 600);
        assert!(
            decode::<Back>(
                &token,
                &DecodingKey::from_secret(b"other"),
                &Validation::new(Algorithm::HS256),
            )
            .is_err()
        );
    }
}
