//! The files API: images and files travel over HTTP, only their metadata over Socket.IO
//! (spec: "Image Messages", "File Messages", "Message Send Flow (Image/File)"; issue 5).
//!
//! | request | module | answer |
//! | --- | --- | --- |
//! | `POST /api/files/upload` (multipart, `file` field) | [`upload`] | `201 {fileId, fileName, fileSize, mimeType}` |
//! | `GET` / `HEAD /api/files/{id}` (Range, conditional) | [`download`] | 200 / 206 / 304 / 416 with the bytes |
//!
//! Both need `Authorization: Bearer <JWT>`, checked by the chat's verifier (the same tokens
//! as the socket). Errors are JSON `{error: {code, message}}` ([`errors`]).
//!
//! Modules, one job each: [`config`] (flags), [`errors`], [`name`] (file name cleaning),
//! [`sniff`] (MIME from bytes), [`disk`] (where bytes live), [`upload`], [`download`],
//! [`range`] (Range and conditional headers), [`housekeeping`] (deleting unattached
//! files), [`attachment`] (the check `message:send` runs for image and file messages).

pub mod attachment;
pub mod config;
pub mod disk;
pub mod download;
pub mod errors;
pub mod housekeeping;
pub mod name;
pub mod range;
pub mod sniff;
pub mod upload;

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, header};
use http_body_util::{Either, Full};

use huddle_storage::Store;
use huddle_storage::model::User;

pub use self::config::{FilesArgs, FilesConfig};
pub use self::disk::DataDir;
pub use self::download::FileBody;
pub use self::errors::{FileError, FileErrorCode};
use crate::chat::auth::{AuthError, JwtVerifier};
use crate::chat::clock::SharedClock;

/// The body of every HTTP response: in memory (engines, JSON) or streamed from a file.
pub type HttpBody = Either<Full<Bytes>, FileBody>;

/// The prefix of every files path.
pub const FILES_PREFIX: &str = "/api/files";

/// The files API. Cheap to clone.
#[derive(Clone)]
pub struct FilesService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    verifier: JwtVerifier,
    clock: SharedClock,
    dir: DataDir,
    config: FilesConfig,
}

impl std::fmt::Debug for FilesService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilesService")
            .field("dir", &self.inner.dir)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl FilesService {
    /// The API over `store`, verifying tokens with `verifier`, keeping bytes in `dir`.
    /// `clock` must be the store's clock (housekeeping ages files by it).
    pub fn new(
        store: Arc<dyn Store>,
        verifier: JwtVerifier,
        clock: SharedClock,
        dir: DataDir,
        config: FilesConfig,
    ) -> Self {
        FilesService {
            inner: Arc::new(Inner {
                store,
                verifier,
                clock,
                dir,
                config,
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// Where the bytes are.
    pub fn dir(&self) -> &DataDir {
        &self.inner.dir
    }

    /// The settings.
    pub fn config(&self) -> &FilesConfig {
        &self.inner.config
    }

    /// The clock.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// Whether `path` is served here.
    pub fn matches_path(path: &str) -> bool {
        path == FILES_PREFIX
            || path
                .strip_prefix(FILES_PREFIX)
                .is_some_and(|rest| rest.starts_with('/'))
    }

    /// Serves one request under [`FILES_PREFIX`].
    pub async fn handle<B>(&self, req: Request<B>) -> Response<HttpBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let rest = req
            .uri()
            .path()
            .strip_prefix(FILES_PREFIX)
            .unwrap_or("")
            .to_owned();
        let result = match rest.as_str() {
            "/upload" => {
                if req.method() == Method::POST {
                    upload::upload(self, req).await
                } else {
                    Err(method_not_allowed("POST"))
                }
            }
            id => {
                if req.method() == Method::GET || req.method() == Method::HEAD {
                    let id = id.trim_start_matches('/').to_owned();
                    download::download(self, req.method(), req.headers(), &id).await
                } else {
                    Err(method_not_allowed("GET, HEAD"))
                }
            }
        };
        result.unwrap_or_else(|e| e.response())
    }

    /// The user the request's `Authorization: Bearer` token names (401 otherwise).
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<User, FileError> {
        let token = bearer_token(headers)?;
        let user_id = self.inner.verifier.verify(token).map_err(auth_error)?;
        match self.inner.store.get_user(user_id).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) => Err(auth_error(AuthError::UnknownUser(user_id))),
            Err(e) => Err(FileError::store(&e, "load user")),
        }
    }
}

/// Serve mode: the files API over the chat's store, verifying tokens with the chat's JWT
/// settings. Returns the service and the warnings to log (a temporary data directory).
pub fn start(
    args: &FilesArgs,
    store: Arc<dyn Store>,
    jwt: &crate::chat::auth::JwtSettings,
    clock: SharedClock,
) -> Result<(FilesService, Vec<String>), config::FilesConfigError> {
    let config = args.config()?;
    let mut warnings = Vec::new();
    let dir = match &config.data_dir {
        Some(path) => DataDir::open(path).map_err(|e| config::FilesConfigError {
            setting: "HUDDLE_DATA_DIR",
            message: format!("cannot create {}: {e}", path.display()),
        })?,
        None => {
            let dir = DataDir::temporary().map_err(|e| config::FilesConfigError {
                setting: "HUDDLE_DATA_DIR",
                message: format!("cannot create a temporary directory: {e}"),
            })?;
            warnings.push(format!(
                "no HUDDLE_DATA_DIR: uploads go to the temporary directory {} and are removed at exit",
                dir.path().display()
            ));
            dir
        }
    };
    let verifier = JwtVerifier::new(jwt, clock.clone()).map_err(|e| config::FilesConfigError {
        setting: "HUDDLE_JWT_SECRET",
        message: e.to_string(),
    })?;
    Ok((
        FilesService::new(store, verifier, clock, dir, config),
        warnings,
    ))
}

fn method_not_allowed(allowed: &str) -> FileError {
    FileError::new(
        FileErrorCode::MethodNotAllowed,
        format!("method not allowed here (allowed: {allowed})"),
    )
}

fn bearer_token(headers: &HeaderMap) -> Result<&str, FileError> {
    let missing = || {
        FileError::new(
            FileErrorCode::AuthRequired,
            "authentication required: send Authorization: Bearer <JWT>",
        )
    };
    let value = headers.get(header::AUTHORIZATION).ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| missing())?.trim();
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(missing());
    }
    Ok(token)
}

fn auth_error(e: AuthError) -> FileError {
    let code = match e {
        AuthError::Missing => FileErrorCode::AuthRequired,
        AuthError::Expired => FileErrorCode::AuthExpired,
        AuthError::UnknownUser(_) => FileErrorCode::UserNotFound,
        _ => FileErrorCode::AuthInvalid,
    };
    tracing::info!(error = %e, "files request refused: bad token");
    FileError::new(code, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(
            bearer_token(&h).unwrap_err().code,
            FileErrorCode::AuthRequired
        );
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert!(bearer_token(&h).is_err());
        h.insert(header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert!(bearer_token(&h).is_err());
        h.insert(header::AUTHORIZATION, "bearer  a.b.c ".parse().unwrap());
        assert_eq!(bearer_token(&h).unwrap(), "a.b.c");
    }

    #[test]
    fn paths() {
        assert!(FilesService::matches_path("/api/files/upload"));
        assert!(FilesService::matches_path("/api/files/12"));
        assert!(FilesService::matches_path("/api/files"));
        assert!(!FilesService::matches_path("/api/filesx"));
        assert!(!FilesService::matches_path("/socket.io/"));
    }
}
