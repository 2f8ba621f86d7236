//! Connecting and disconnecting (spec: "Connection & Authentication Flow", `auth:success`,
//! `auth:failed`; issue 4 item 3).
//!
//! The `/` namespace's connect middleware reads the JWT from the CONNECT packet's
//! `auth.token` (or, for clients that cannot set `auth`, an `Authorization: Bearer` header of
//! the handshake request), verifies it (`auth.rs`), and loads the user and role from storage.
//! - Accepted: the socket carries the user as its state, and the first thing it receives is
//!   `auth:success {userId, userRole}`.
//! - Refused: Socket.IO CONNECT_ERROR `{message, data: {code}}` with a code of `errors.rs`
//!   (`AUTH_REQUIRED`, `AUTH_INVALID`, `AUTH_EXPIRED`, `USER_NOT_FOUND`, `DB_UNAVAILABLE`). The
//!   client sees it as its `connect_error` event (`err.message`, `err.data.code`). This is the
//!   spec's `auth:failed {message}`: a refused socket is not connected, so no event can be
//!   emitted to it; the message travels in the CONNECT_ERROR instead.
//!
//! On disconnect the user's typing indicators in the rooms the socket was in stop.

use std::sync::Arc;

use serde_json::json;

use huddle_storage::Store;
use huddle_storage::model::User;

use super::auth::{AuthError, JwtVerifier};
use super::errors::ChatError;
use super::pipeline::SendPipeline;
use super::policy::store_error;
use super::{ChatSocket, Ctx, typing};

/// What the connect middleware needs: the token verifier and the store to load users from.
#[derive(Debug)]
pub struct Authenticator {
    /// Verifies handshake tokens.
    pub verifier: JwtVerifier,
    /// Where users come from.
    pub store: Arc<dyn Store>,
    /// The size of each socket's send pipeline.
    pub max_sends_in_flight: u32,
}
use crate::socketio::{ConnectError, ConnectRequest, DisconnectReason, Socket};

/// The token of a connect request: `auth.token`, else `Authorization: Bearer <token>`.
fn token(request: &ConnectRequest) -> Result<&str, AuthError> {
    match JwtVerifier::token_from_auth(Some(request.auth())) {
        Err(AuthError::Missing) => request
            .header("authorization")
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing),
        other => other,
    }
}

async fn user_of(ctx: &Authenticator, request: &ConnectRequest) -> Result<User, ChatError> {
    let user_id = token(request)
        .and_then(|t| ctx.verifier.verify(t))
        .map_err(|e| e.to_chat_error())?;
    match ctx.store.get_user(user_id).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(AuthError::UnknownUser(user_id).to_chat_error()),
        Err(e) => Err(store_error(&e, "load user")),
    }
}

/// The connect middleware of `/`.
pub async fn authenticate(
    ctx: Arc<Authenticator>,
    request: ConnectRequest,
) -> Result<ChatSocket, ConnectError> {
    match user_of(&ctx, &request).await {
        Ok(user) => {
            tracing::debug!(
                user = user.id,
                session = request.session_id(),
                "authenticated"
            );
            Ok(ChatSocket {
                user,
                sends: SendPipeline::new(ctx.max_sends_in_flight),
            })
        }
        Err(error) => {
            tracing::info!(
                session = request.session_id(),
                code = error.code.as_str(),
                message = %error.message,
                "connection refused"
            );
            Err(ConnectError::new(error.message.clone()).with_data(error.connect_error_data()))
        }
    }
}

/// Runs once a socket is connected: `auth:success`.
pub async fn on_connect(socket: Socket<ChatSocket>) {
    let user = &socket.state().user;
    let _ = socket.emit(
        "auth:success",
        &json!({ "userId": user.id, "userRole": user.role.as_str() }),
    );
}

/// Runs once a socket has disconnected (it already left every room).
pub async fn on_disconnect(ctx: Arc<Ctx>, socket: Socket<ChatSocket>, reason: DisconnectReason) {
    tracing::debug!(
        user = socket.state().user.id,
        socket = socket.id(),
        reason = reason.as_str(),
        "disconnected"
    );
    typing::stop_after_disconnect(&ctx, &socket);
}
