//! JWT verification of the handshake's `auth.token`, and token minting for `huddle token`
//! (spec: "Connection Authentication"; issue 4 item 3).
//!
//! - HS256 with a shared secret, and/or RS256 with a public key (PEM). Each algorithm is
//!   verified only with its own key, so an HS256 token "signed" with the public key (the
//!   classic algorithm-confusion attack) is refused, and so is `alg: none` or any other
//!   algorithm that is not configured.
//! - `exp` is required and checked against the chat's injectable clock (with a configurable
//!   leeway, zero by default); `sub` is the user id, as a string (what JWT prescribes) or as
//!   a number, and must be a positive integer.
//! - `nbf`, when present, must not be in the future (same clock and leeway);
//! - `aud`/`iss` are checked when configured; a token carrying an `aud` when none is
//!   configured is refused (RFC 7519 §4.1.3).
//!
//! The verifier only says which user id the token names; loading the user (and answering
//! `USER_NOT_FOUND`) is the connect handler's job. [`AuthError::code`] maps every failure to the
//! error list in `errors.rs`.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::clock::{SharedClock, now};
use super::errors::{ChatError, ErrorCode};
use huddle_storage::model::UserId;

/// Why a handshake token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `auth.token` in the handshake.
    #[error("authentication required: connect with auth: {{ token: \"<JWT>\" }}")]
    Missing,
    /// Not a JWT at all (wrong number of parts, bad base64, bad JSON).
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The header names an algorithm that is not configured (`none` included).
    #[error("token algorithm {0:?} is not accepted")]
    AlgorithmNotAllowed(String),
    /// The signature does not verify with the configured key.
    #[error("token signature is invalid")]
    BadSignature,
    /// `exp` is missing or not an integer number of seconds.
    #[error("token has no valid exp claim")]
    MissingExpiry,
    /// `sub` is missing or not a positive integer user id.
    #[error("token sub must be a positive user id: {0}")]
    BadSubject(String),
    /// `aud` or `iss` does not match the configuration, or `nbf` is still ahead.
    #[error("token {0} claim is not accepted")]
    ClaimRejected(&'static str),
    /// `exp` is in the past.
    #[error("token has expired")]
    Expired,
    /// The token is valid but names a user storage does not know.
    #[error("user {0} not found")]
    UnknownUser(UserId),
}

impl AuthError {
    /// The client-facing code (see `errors.rs`).
    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::Missing => ErrorCode::AuthRequired,
            AuthError::Expired => ErrorCode::AuthExpired,
            AuthError::UnknownUser(_) => ErrorCode::UserNotFound,
            AuthError::Malformed(_)
            | AuthError::AlgorithmNotAllowed(_)
            | AuthError::BadSignature
            | AuthError::MissingExpiry
            | AuthError::BadSubject(_)
            | AuthError::ClaimRejected(_) => ErrorCode::AuthInvalid,
        }
    }

    /// As a client-facing error.
    pub fn to_chat_error(&self) -> ChatError {
        ChatError::new(self.code(), self.to_string())
    }
}

/// A key setting that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Neither a secret nor a public key.
    #[error("no JWT key configured: set a secret (HS256) or a public key (RS256)")]
    NoKey,
    /// An empty secret.
    #[error("the JWT secret is empty")]
    EmptySecret,
    /// The PEM does not hold a usable RSA key.
    #[error("not a usable RSA key in PEM form: {0}")]
    BadPem(String),
}

/// Which keys verify tokens, and the claim rules.
#[derive(Clone, Debug, Default)]
pub struct JwtSettings {
    /// HS256 shared secret.
    pub secret: Option<Vec<u8>>,
    /// RS256 public key, PEM.
    pub public_key_pem: Option<Vec<u8>>,
    /// Seconds of clock skew tolerated on `exp`.
    pub leeway_secs: u64,
    /// Required audience, if any.
    pub audience: Option<String>,
    /// Required issuer, if any.
    pub issuer: Option<String>,
}

/// Verifies handshake tokens; built once at start-up.
pub struct JwtVerifier {
    hs256: Option<DecodingKey>,
    rs256: Option<DecodingKey>,
    leeway_secs: u64,
    audience: Option<String>,
    issuer: Option<String>,
    clock: SharedClock,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys stay out of logs.
        f.debug_struct("JwtVerifier")
            .field("hs256", &self.hs256.is_some())
            .field("rs256", &self.rs256.is_some())
            .field("leeway_secs", &self.leeway_secs)
            .finish_non_exhaustive()
    }
}

/// The claims we read. `sub`/`exp` are kept as raw JSON so that every shape gets a precise error.
#[derive(Deserialize)]
struct ReadClaims {
    #[serde(default)]
    sub: Option<Value>,
    #[serde(default)]
    exp: Option<Value>,
    #[serde(default)]
    nbf: Option<Value>,
}

/// The claims we write.
#[derive(Serialize)]
struct MintClaims<'a> {
    sub: String,
    exp: i64,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
}

impl JwtVerifier {
    /// Builds the verifier; fails when no key is usable.
    pub fn new(settings: &JwtSettings, clock: SharedClock) -> Result<Self, KeyError> {
        let hs256 = match &settings.secret {
            Some(s) if s.is_empty() => return Err(KeyError::EmptySecret),
            Some(s) => Some(DecodingKey::from_secret(s)),
            None => None,
        };
        let rs256 = match &settings.public_key_pem {
            Some(pem) => {
                Some(DecodingKey::from_rsa_pem(pem).map_err(|e| KeyError::BadPem(e.to_string()))?)
            }
            None => None,
        };
        if hs256.is_none() && rs256.is_none() {
            return Err(KeyError::NoKey);
        }
        Ok(JwtVerifier {
            hs256,
            rs256,
            leeway_secs: settings.leeway_secs,
            audience: settings.audience.clone(),
            issuer: settings.issuer.clone(),
            clock,
        })
    }

    /// The token of a CONNECT packet's auth payload: `auth.token`, a non-empty string.
    /// Anything else (absent, null, empty, a number, an object) is no usable token at all:
    /// `AUTH_REQUIRED`, as documented in `errors.rs`.
    pub fn token_from_auth(auth: Option<&Value>) -> Result<&str, AuthError> {
        match auth.and_then(|a| a.get("token")) {
            Some(Value::String(t)) if !t.trim().is_empty() => Ok(t.trim()),
            _ => Err(AuthError::Missing),
        }
    }

    /// Checks the token and returns the user id it names.
    pub fn verify(&self, token: &str) -> Result<UserId, AuthError> {
        let alg_name = peek_algorithm(token)?;
        let (alg, key) = match alg_name.as_str() {
            "HS256" => (Algorithm::HS256, self.hs256.as_ref()),
            "RS256" => (Algorithm::RS256, self.rs256.as_ref()),
            _ => (Algorithm::HS256, None),
        };
        let key = key.ok_or(AuthError::AlgorithmNotAllowed(alg_name))?;

        let mut validation = Validation::new(alg);
        // Expiry is checked below against the chat's clock, not the system time, so tests
        // and the clock offset apply; presence is still enforced here.
        validation.validate_exp = false;
        validation.required_spec_claims = HashSet::from(["exp".to_owned()]);
        // Without a configured audience the library's default still refuses a token that
        // names one (it is meant for someone else).
        if let Some(aud) = &self.audience {
            validation.set_audience(&[aud]);
            validation.required_spec_claims.insert("aud".into());
        }
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
            validation.required_spec_claims.insert("iss".into());
        }

        let data = jsonwebtoken::decode::<ReadClaims>(token, key, &validation)
            .map_err(|e| classify(e.kind()))?;
        let claims = data.claims;

        let exp = claims
            .exp
            .as_ref()
            .and_then(Value::as_i64)
            .ok_or(AuthError::MissingExpiry)?;
        let now_secs = now(self.clock.as_ref()).timestamp();
        let leeway = i64::try_from(self.leeway_secs).unwrap_or(i64::MAX);
        // RFC 7519 §4.1.4: not accepted "on or after" the expiration time.
        if now_secs >= exp.saturating_add(leeway) {
            return Err(AuthError::Expired);
        }
        // RFC 7519 §4.1.5: not accepted before `nbf`, when the token carries one.
        match claims.nbf {
            None | Some(Value::Null) => {}
            Some(nbf) => match nbf.as_i64() {
                Some(nbf) if now_secs.saturating_add(leeway) >= nbf => {}
                Some(_) => return Err(AuthError::ClaimRejected("nbf")),
                None => return Err(AuthError::Malformed("nbf is not a number".into())),
            },
        }
        parse_subject(claims.sub.as_ref())
    }
}

/// Reads the header's `alg` ourselves first, so `none` or an unknown algorithm gets a precise
/// error instead of a JSON one (the library's `Algorithm` has no `none`).
fn peek_algorithm(token: &str) -> Result<String, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed(
            "a JWT has three dot-separated parts".into(),
        ));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .map_err(|_| AuthError::Malformed("header is not base64url".into()))?;
    let header: Value = serde_json::from_slice(&bytes)
        .map_err(|_| AuthError::Malformed("header is not JSON".into()))?;
    match header.get("alg") {
        Some(Value::String(alg)) => Ok(alg.clone()),
        _ => Err(AuthError::Malformed("header has no alg".into())),
    }
}

fn classify(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            AuthError::AlgorithmNotAllowed("mismatch".into())
        }
        ErrorKind::MissingRequiredClaim(c) if c == "exp" => AuthError::MissingExpiry,
        ErrorKind::MissingRequiredClaim(c) if c == "aud" => AuthError::ClaimRejected("aud"),
        ErrorKind::MissingRequiredClaim(c) if c == "iss" => AuthError::ClaimRejected("iss"),
        ErrorKind::InvalidClaimFormat(c) if c == "exp" => AuthError::MissingExpiry,
        ErrorKind::InvalidAudience => AuthError::ClaimRejected("aud"),
        ErrorKind::InvalidIssuer => AuthError::ClaimRejected("iss"),
        ErrorKind::Base64(_) => AuthError::Malformed("a part is not base64url".into()),
        ErrorKind::Json(_) => AuthError::Malformed("the claims are not a JSON object".into()),
        ErrorKind::Utf8(_) => AuthError::Malformed("a part is not UTF-8".into()),
        other => AuthError::Malformed(format!("{other:?}")),
    }
}

fn parse_subject(sub: Option<&Value>) -> Result<UserId, AuthError> {
    let id = match sub {
        None | Some(Value::Null) => return Err(AuthError::BadSubject("sub is missing".into())),
        Some(Value::String(s)) => s
            .parse::<u64>()
            .map_err(|_| AuthError::BadSubject(format!("{s:?} is not an integer")))?,
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| AuthError::BadSubject(format!("{n} is not a non-negative integer")))?,
        Some(other) => return Err(AuthError::BadSubject(format!("{other} is not an id"))),
    };
    if id == 0 {
        return Err(AuthError::BadSubject("0 is not a user id".into()));
    }
    Ok(id)
}

/// Signs tokens for `huddle token` (and for tests).
pub struct JwtSigner {
    key: EncodingKey,
    alg: Algorithm,
    audience: Option<String>,
    issuer: Option<String>,
}

impl JwtSigner {
    /// HS256 with a shared secret.
    pub fn hs256(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.is_empty() {
            return Err(KeyError::EmptySecret);
        }
        Ok(JwtSigner {
            key: EncodingKey::from_secret(secret),
            alg: Algorithm::HS256,
            audience: None,
            issuer: None,
        })
    }

    /// RS256 with a private key (PEM, PKCS#1 or PKCS#8).
    pub fn rs256(private_pem: &[u8]) -> Result<Self, KeyError> {
        let key =
            EncodingKey::from_rsa_pem(private_pem).map_err(|e| KeyError::BadPem(e.to_string()))?;
        Ok(JwtSigner {
            key,
            alg: Algorithm::RS256,
            audience: None,
            issuer: None,
        })
    }

    /// Adds `aud` and `iss` claims to every token (to match a verifier that requires them).
    pub fn with_claims(mut self, audience: Option<String>, issuer: Option<String>) -> Self {
        self.audience = audience;
        self.issuer = issuer;
        self
    }

    /// A token for `user_id`, issued at the clock's now and valid for `ttl`.
    pub fn mint(&self, user_id: UserId, ttl: Duration, clock: &SharedClock) -> String {
        let iat = now(clock.as_ref()).timestamp();
        let claims = MintClaims {
            sub: user_id.to_string(),
            exp: iat.saturating_add(ttl.num_seconds()),
            iat,
            aud: self.audience.as_deref(),
            iss: self.issuer.as_deref(),
        };
        // Encoding a plain struct with a key that was accepted at construction cannot fail;
        // the fallback keeps this infallible without a panic path.
        jsonwebtoken::encode(&Header::new(self.alg), &claims, &self.key).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::clock::ManualClock;
    use chrono::{TimeZone, Utc};
    use serde_json::json;
    use std::sync::Arc;

    const SECRET: &[u8] = b"a-test-secret-of-a-reasonable-length!";
    const PUBLIC: &str = include_str!("../../tests/fixtures/jwt_rs256_public.pem");
    const PRIVATE: &str = include_str!("../../tests/fixtures/jwt_rs256_private.pem");
    const OTHER_PRIVATE: &str = include_str!("../../tests/fixtures/jwt_rs256_other_private.pem");

    fn clock() -> (Arc<ManualClock>, SharedClock) {
        let c = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        ));
        (c.clone(), c)
    }

    fn hs_verifier(clock: SharedClock) -> JwtVerifier {
        JwtVerifier::new(
            &JwtSettings {
                secret: Some(SECRET.to_vec()),
                ..Default::default()
            },
            clock,
        )
        .unwrap()
    }

    fn rs_verifier(clock: SharedClock) -> JwtVerifier {
        JwtVerifier::new(
            &JwtSettings {
                public_key_pem: Some(PUBLIC.as_bytes().to_vec()),
                ..Default::default()
            },
            clock,
        )
        .unwrap()
    }

    /// A token with arbitrary header and claims, HS256-signed with `secret`.
    fn raw_hs(header: Value, claims: Value, secret: &[u8]) -> String {
        use hmac_sign::sign;
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let c = URL_SAFE_NO_PAD.encode(claims.to_string());
        let sig = sign(format!("{h}.{c}").as_bytes(), secret);
        format!("{h}.{c}.{sig}")
    }

    /// HS256 signing through the library, for hand-made headers.
    mod hmac_sign {
        use super::*;
        pub fn sign(message: &[u8], secret: &[u8]) -> String {
            jsonwebtoken::crypto::sign(message, &EncodingKey::from_secret(secret), Algorithm::HS256)
                .unwrap()
        }
    }

    fn exp_in(clock: &SharedClock, secs: i64) -> i64 {
        now(clock.as_ref()).timestamp() + secs
    }

    #[test]
    fn minted_hs256_token_verifies() {
        let (_, c) = clock();
        let token = JwtSigner::hs256(SECRET)
            .unwrap()
            .mint(3, Duration::hours(1), &c);
        assert_eq!(hs_verifier(c).verify(&token), Ok(3));
    }

    #[test]
    fn minted_rs256_token_verifies() {
        let (_, c) = clock();
        let token = JwtSigner::rs256(PRIVATE.as_bytes())
            .unwrap()
            .mint(5, Duration::hours(1), &c);
        assert_eq!(rs_verifier(c).verify(&token), Ok(5));
    }

    #[test]
    fn sub_may_be_a_string_or_a_number() {
        let (_, c) = clock();
        let v = hs_verifier(c.clone());
        let h = json!({"alg": "HS256", "typ": "JWT"});
        let exp = exp_in(&c, 60);
        assert_eq!(
            v.verify(&raw_hs(h.clone(), json!({"sub": "4", "exp": exp}), SECRET)),
            Ok(4)
        );
        assert_eq!(
            v.verify(&raw_hs(h, json!({"sub": 4, "exp": exp}), SECRET)),
            Ok(4)
        );
    }

    #[test]
    fn refusals_table() {
        let (_, c) = clock();
        let v = hs_verifier(c.clone());
        let h = json!({"alg": "HS256", "typ": "JWT"});
        let exp = exp_in(&c, 60);
        let cases: Vec<(&str, String, ErrorCode)> = vec![
            ("empty", String::new(), ErrorCode::AuthInvalid),
            ("garbage", "not a token".into(), ErrorCode::AuthInvalid),
            ("two parts", "a.b".into(), ErrorCode::AuthInvalid),
            ("bad base64", "@@.@@.@@".into(), ErrorCode::AuthInvalid),
            (
                "wrong secret",
                raw_hs(
                    h.clone(),
                    json!({"sub": "1", "exp": exp}),
                    b"another secret",
                ),
                ErrorCode::AuthInvalid,
            ),
            (
                "no exp",
                raw_hs(h.clone(), json!({"sub": "1"}), SECRET),
                ErrorCode::AuthInvalid,
            ),
            (
                "string exp",
                raw_hs(h.clone(), json!({"sub": "1", "exp": "soon"}), SECRET),
                ErrorCode::AuthInvalid,
            ),
            (
                "expired",
                raw_hs(h.clone(), json!({"sub": "1", "exp": exp - 61}), SECRET),
                ErrorCode::AuthExpired,
            ),
            (
                "expires exactly now",
                raw_hs(h.clone(), json!({"sub": "1", "exp": exp - 60}), SECRET),
                ErrorCode::AuthExpired,
            ),
            (
                "no sub",
                raw_hs(h.clone(), json!({"exp": exp}), SECRET),
                ErrorCode::AuthInvalid,
            ),
            (
                "sub zero",
                raw_hs(h.clone(), json!({"sub": 0, "exp": exp}), SECRET),
                ErrorCode::AuthInvalid,
            ),
            (
                "sub negative",
                raw_hs(h.clone(), json!({"sub": -3, "exp": exp}), SECRET),
                ErrorCode::AuthInvalid,
            ),
            (
                "sub not numeric",
                raw_hs(h.clone(), json!({"sub": "ada", "exp": exp}), SECRET),
                ErrorCode::AuthInvalid,
            ),
            (
                "sub object",
                raw_hs(h.clone(), json!({"sub": {"id": 1}, "exp": exp}), SECRET),
                ErrorCode::AuthInvalid,
            ),
            (
                "aud present but none configured",
                raw_hs(
                    h.clone(),
                    json!({"sub": "1", "exp": exp, "aud": "x"}),
                    SECRET,
                ),
                ErrorCode::AuthInvalid,
            ),
            (
                "claims not an object",
                raw_hs(h.clone(), json!([1, 2]), SECRET),
                ErrorCode::AuthInvalid,
            ),
            (
                "RS256 not configured",
                JwtSigner::rs256(PRIVATE.as_bytes())
                    .unwrap()
                    .mint(1, Duration::hours(1), &c),
                ErrorCode::AuthInvalid,
            ),
            (
                "HS512 not accepted",
                {
                    let hh = URL_SAFE_NO_PAD.encode(json!({"alg": "HS512"}).to_string());
                    let cc = URL_SAFE_NO_PAD.encode(json!({"sub": "1", "exp": exp}).to_string());
                    let sig = jsonwebtoken::crypto::sign(
                        format!("{hh}.{cc}").as_bytes(),
                        &EncodingKey::from_secret(SECRET),
                        Algorithm::HS512,
                    )
                    .unwrap();
                    format!("{hh}.{cc}.{sig}")
                },
                ErrorCode::AuthInvalid,
            ),
        ];
        for (name, token, code) in cases {
            let err = v.verify(&token).expect_err(name);
            assert_eq!(err.code(), code, "{name}: {err}");
        }
    }

    #[test]
    fn alg_none_is_refused() {
        let (_, c) = clock();
        let exp = exp_in(&c, 60);
        let h = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
        let cl = URL_SAFE_NO_PAD.encode(json!({"sub": "1", "exp": exp}).to_string());
        for token in [format!("{h}.{cl}."), format!("{h}.{cl}.c2ln")] {
            for v in [hs_verifier(c.clone()), rs_verifier(c.clone())] {
                assert_eq!(
                    v.verify(&token),
                    Err(AuthError::AlgorithmNotAllowed("none".into()))
                );
            }
        }
    }

    #[test]
    fn algorithm_confusion_is_refused() {
        // HS256 "signed" with the RSA public key, sent to an RS256 verifier.
        let (_, c) = clock();
        let exp = exp_in(&c, 60);
        let forged = raw_hs(
            json!({"alg": "HS256", "typ": "JWT"}),
            json!({"sub": "1", "exp": exp}),
            PUBLIC.as_bytes(),
        );
        assert_eq!(
            rs_verifier(c.clone()).verify(&forged),
            Err(AuthError::AlgorithmNotAllowed("HS256".into()))
        );
        // With both keys configured, HS256 is checked with the secret only.
        let both = JwtVerifier::new(
            &JwtSettings {
                secret: Some(SECRET.to_vec()),
                public_key_pem: Some(PUBLIC.as_bytes().to_vec()),
                ..Default::default()
            },
            c,
        )
        .unwrap();
        assert_eq!(both.verify(&forged), Err(AuthError::BadSignature));
    }

    #[test]
    fn rs256_signed_by_another_key_is_refused() {
        let (_, c) = clock();
        let token =
            JwtSigner::rs256(OTHER_PRIVATE.as_bytes())
                .unwrap()
                .mint(1, Duration::hours(1), &c);
        assert_eq!(rs_verifier(c).verify(&token), Err(AuthError::BadSignature));
    }

    #[test]
    fn expiry_follows_the_injected_clock_and_leeway() {
        let (manual, c) = clock();
        let token = JwtSigner::hs256(SECRET)
            .unwrap()
            .mint(2, Duration::seconds(30), &c);
        let strict = hs_verifier(c.clone());
        let lenient = JwtVerifier::new(
            &JwtSettings {
                secret: Some(SECRET.to_vec()),
                leeway_secs: 10,
                ..Default::default()
            },
            c,
        )
        .unwrap();
        manual.advance(Duration::seconds(29));
        assert_eq!(strict.verify(&token), Ok(2));
        manual.advance(Duration::seconds(1));
        assert_eq!(strict.verify(&token), Err(AuthError::Expired));
        assert_eq!(lenient.verify(&token), Ok(2));
        manual.advance(Duration::seconds(10));
        assert_eq!(lenient.verify(&token), Err(AuthError::Expired));
    }

    #[test]
    fn not_before_is_honoured_on_the_injected_clock() {
        let (manual, c) = clock();
        let v = hs_verifier(c.clone());
        let h = json!({"alg": "HS256", "typ": "JWT"});
        let now = exp_in(&c, 0);
        let token = raw_hs(
            h.clone(),
            json!({"sub": "1", "exp": now + 600, "nbf": now + 60}),
            SECRET,
        );
        assert_eq!(v.verify(&token), Err(AuthError::ClaimRejected("nbf")));
        manual.advance(Duration::seconds(60));
        assert_eq!(v.verify(&token), Ok(1));
        let bad = raw_hs(
            h,
            json!({"sub": "1", "exp": now + 600, "nbf": "soon"}),
            SECRET,
        );
        assert_eq!(v.verify(&bad).unwrap_err().code(), ErrorCode::AuthInvalid);
    }

    #[test]
    fn audience_and_issuer_when_configured() {
        let (_, c) = clock();
        let v = JwtVerifier::new(
            &JwtSettings {
                secret: Some(SECRET.to_vec()),
                audience: Some("task-tracker".into()),
                issuer: Some("tt-auth".into()),
                ..Default::default()
            },
            c.clone(),
        )
        .unwrap();
        let good = JwtSigner::hs256(SECRET)
            .unwrap()
            .with_claims(Some("task-tracker".into()), Some("tt-auth".into()))
            .mint(1, Duration::hours(1), &c);
        assert_eq!(v.verify(&good), Ok(1));
        let no_aud = JwtSigner::hs256(SECRET)
            .unwrap()
            .with_claims(None, Some("tt-auth".into()))
            .mint(1, Duration::hours(1), &c);
        assert_eq!(v.verify(&no_aud), Err(AuthError::ClaimRejected("aud")));
        let no_iss = JwtSigner::hs256(SECRET)
            .unwrap()
            .with_claims(Some("task-tracker".into()), None)
            .mint(1, Duration::hours(1), &c);
        assert_eq!(v.verify(&no_iss), Err(AuthError::ClaimRejected("iss")));
        let wrong_iss = JwtSigner::hs256(SECRET)
            .unwrap()
            .with_claims(Some("task-tracker".into()), Some("someone".into()))
            .mint(1, Duration::hours(1), &c);
        assert_eq!(v.verify(&wrong_iss), Err(AuthError::ClaimRejected("iss")));
        let wrong = JwtSigner::hs256(SECRET)
            .unwrap()
            .with_claims(Some("other".into()), Some("tt-auth".into()))
            .mint(1, Duration::hours(1), &c);
        assert_eq!(v.verify(&wrong), Err(AuthError::ClaimRejected("aud")));
    }

    #[test]
    fn token_is_read_from_the_auth_payload() {
        assert_eq!(
            JwtVerifier::token_from_auth(Some(&json!({"token": "abc"}))),
            Ok("abc")
        );
        for missing in [
            None,
            Some(json!({})),
            Some(json!({"token": ""})),
            Some(json!({"token": null})),
        ] {
            assert_eq!(
                JwtVerifier::token_from_auth(missing.as_ref()),
                Err(AuthError::Missing)
            );
        }
        for not_a_string in [
            json!({"token": 42}),
            json!({"token": {"jwt": "x"}}),
            json!("abc"),
        ] {
            let err = JwtVerifier::token_from_auth(Some(&not_a_string)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::AuthRequired, "{not_a_string}");
        }
        assert_eq!(AuthError::Missing.code(), ErrorCode::AuthRequired);
        assert_eq!(AuthError::UnknownUser(9).code(), ErrorCode::UserNotFound);
    }

    #[test]
    fn bad_key_settings_are_refused() {
        let (_, c) = clock();
        assert_eq!(
            JwtVerifier::new(&JwtSettings::default(), c.clone()).unwrap_err(),
            KeyError::NoKey
        );
        assert_eq!(
            JwtVerifier::new(
                &JwtSettings {
                    secret: Some(Vec::new()),
                    ..Default::default()
                },
                c.clone()
            )
            .unwrap_err(),
            KeyError::EmptySecret
        );
        assert!(matches!(
            JwtVerifier::new(
                &JwtSettings {
                    public_key_pem: Some(b"not a pem".to_vec()),
                    ..Default::default()
                },
                c
            ),
            Err(KeyError::BadPem(_))
        ));
        assert!(matches!(
            JwtSigner::rs256(b"nope"),
            Err(KeyError::BadPem(_))
        ));
    }
}
