//! The Task Tracker chat on the Socket.IO namespace `/` (spec: every event of "Event
//! Definitions"; issue 4 items 3-8 and 10).
//!
//! [`Chat::install`] registers the connect middleware and one handler per client event on a
//! [`SocketIo`] server. Every handler follows validate → authorize → store → broadcast and
//! answers through `reply.rs` (ack `{ok: true, ...}` on success; `error`/`room:error` plus
//! ack `{ok: false, error: {code, message}}` on failure).
//!
//! | client event | module | answer |
//! | --- | --- | --- |
//! | CONNECT with `auth.token` | [`connect`] | `auth:success {userId, userRole}` or CONNECT_ERROR `{message, data: {code}}` |
//! | `room:join {type, id, sinceId?}` | [`rooms`] | `room:joined`, then `message:history` page(s) |
//! | `room:leave {type, id}` | [`rooms`] | `typing:stopped` to the others if typing, `room:left` |
//! | `message:history {roomType, roomId, cursor?, limit?}` | [`history`] | `message:history` (+ the same in the ack) |
//! | `message:send` | [`messages`] | `message:new {message}` to the room, ack `{ok, message}` |
//! | `message:edit` / `message:delete` | [`messages`] | `message:edited {message}` / `message:deleted {messageId, roomType, roomId}` |
//! | `message:read {messageId}` | [`reads`] | `message:read {messageId, readBy {userId, readAt}}` (first read only) |
//! | `typing:start` / `typing:stop` | [`typing`] | `typing:started` / `typing:stopped` to the others |
//! | any other event | here | `error {code: "UNKNOWN_EVENT"}` (+ failure ack) |
//!
//! Modules, one job each:
//! - [`errors`]: the one list of client-facing error codes; [`reply`]: how outcomes reach the client;
//! - [`auth`]: JWT verification and minting; [`connect`]: the handshake middleware;
//! - [`policy`]: the access rules table;
//! - [`validate`] and [`sanitize`]: payloads into typed requests, message text cleaning;
//!   the file of an image or file message is checked by `files::attachment`;
//! - [`rate_limit`]: the per-user `message:send` token bucket;
//! - [`writer`]: the per-room writer that batches inserts and broadcasts in id order;
//!   [`commit`]: the group commit that stores several rooms' batches in one transaction,
//!   re-checking access ([`access_cache`]: for how long facts are reused); [`pipeline`]: a connection's sends to one room, queued without
//!   waiting for each commit;
//! - [`rooms`], [`history`], [`messages`], [`reads`], [`typing`]: the event families;
//! - [`typing_state`]: who is typing, with the 3-second auto-stop;
//! - [`clock`]: the injectable clock; [`config`]: flags and environment; [`commands`]:
//!   `huddle token`, `huddle demo-data` and the demo quick start.

pub mod access_cache;
pub mod auth;
pub mod clock;
pub mod commands;
pub mod commit;
pub mod config;
pub mod connect;
pub mod errors;
pub mod history;
pub mod messages;
pub mod pipeline;
pub mod policy;
pub mod rate_limit;
pub mod reads;
pub mod reply;
pub mod rooms;
pub mod sanitize;
pub mod typing;
pub mod typing_state;
pub mod validate;
pub mod writer;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use huddle_storage::Store;
use huddle_storage::model::User;

use self::auth::{JwtSettings, JwtVerifier, KeyError};
use self::clock::SharedClock;
use self::errors::ChatError;
use self::pipeline::SendPipeline;
use self::rate_limit::{RateLimitSettings, SendRateLimiter};
use self::reply::{Outcome, respond};
use self::typing_state::{DEFAULT_TYPING_TIMEOUT, TypingTracker};
use self::validate::Limits;
use self::writer::{RoomWriters, WriterSettings};
use crate::files::attachment::AttachmentLimits;
use crate::socketio::{Namespace, NamespaceError, Socket, SocketIo};

/// Every setting of the chat layer (built from flags and environment by [`config`]).
#[derive(Clone, Debug)]
pub struct ChatSettings {
    /// Token verification.
    pub jwt: JwtSettings,
    /// Content and paging limits.
    pub limits: Limits,
    /// The `message:send` rate limit.
    pub rate_limit: RateLimitSettings,
    /// Typing indicators stop after this long without a renewed start (default 3 s).
    pub typing_timeout: Duration,
    /// Messages can be edited or deleted for this long after their creation (default 24 h).
    pub edit_window: chrono::Duration,
    /// Longest catch-up on rejoin before falling back to the latest page (default 10,000).
    pub max_catch_up_messages: usize,
    /// The per-room writers.
    pub writer: WriterSettings,
    /// `message:send` events of one connection queued for storage at once (default 32; see
    /// `pipeline.rs`).
    pub max_sends_in_flight: u32,
    /// The checks of an image or file message's upload (the 10 MiB image limit).
    pub attachments: AttachmentLimits,
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            jwt: JwtSettings::default(),
            limits: Limits::default(),
            rate_limit: RateLimitSettings::default(),
            typing_timeout: DEFAULT_TYPING_TIMEOUT,
            edit_window: chrono::Duration::hours(24),
            max_catch_up_messages: 10_000,
            writer: WriterSettings::default(),
            max_sends_in_flight: 32,
            attachments: AttachmentLimits::default(),
        }
    }
}

/// The state of one chat socket: the authenticated user, loaded from storage at connect.
#[derive(Debug)]
pub struct ChatSocket {
    /// Who is connected.
    pub user: User,
    /// Its `message:send` events being stored.
    pub sends: SendPipeline,
}

/// What every handler shares.
pub struct Ctx {
    store: Arc<dyn Store>,
    settings: ChatSettings,
    rate: SendRateLimiter,
    typing: Arc<TypingTracker>,
    writers: RoomWriters,
    ns: Namespace<ChatSocket>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("settings", &self.settings)
            .field("writers", &self.writers)
            .finish_non_exhaustive()
    }
}

/// Why the chat could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The JWT key settings are unusable.
    #[error("JWT settings: {0}")]
    Key(#[from] KeyError),
    /// The namespace could not be registered.
    #[error("namespace: {0}")]
    Namespace(#[from] NamespaceError),
}

/// The installed chat: a handle for tests and metrics.
#[derive(Clone, Debug)]
pub struct Chat {
    ctx: Arc<Ctx>,
}

impl Chat {
    /// Registers the chat on namespace `/` of `io`, storing into `store`. `clock` must be the
    /// clock the store stamps times with (token expiry and the rate limiter read it too).
    pub fn install(
        io: &SocketIo,
        store: Arc<dyn Store>,
        clock: SharedClock,
        settings: ChatSettings,
    ) -> Result<Chat, InstallError> {
        let authenticator = Arc::new(connect::Authenticator {
            verifier: JwtVerifier::new(&settings.jwt, clock.clone())?,
            store: store.clone(),
            max_sends_in_flight: settings.max_sends_in_flight,
        });
        let ns = io.namespace("/", move |request| {
            connect::authenticate(authenticator.clone(), request)
        })?;
        let ctx = Arc::new(Ctx {
            writers: RoomWriters::new(store.clone(), ns.clone(), settings.writer),
            rate: SendRateLimiter::new(settings.rate_limit, clock),
            typing: Arc::new(TypingTracker::new(settings.typing_timeout)),
            store,
            settings,
            ns: ns.clone(),
        });

        ns.on_connect(connect::on_connect);
        let disconnect_ctx = ctx.clone();
        ns.on_disconnect(move |socket, reason| {
            connect::on_disconnect(disconnect_ctx.clone(), socket, reason)
        });
        handle(&ns, &ctx, "room:join", rooms::join);
        handle(&ns, &ctx, "room:leave", rooms::leave);
        handle(&ns, &ctx, "message:history", history::request);
        let send_ctx = ctx.clone();
        ns.on("message:send", move |socket, received, ack| {
            let ctx = send_ctx.clone();
            async move {
                match received.first_arg::<Value>() {
                    Ok(payload) => messages::send(ctx, socket, payload, ack).await,
                    Err(e) => {
                        socket.state().sends.idle().await;
                        let error = ChatError::invalid(format!(
                            "message:send takes one object argument: {e}"
                        ));
                        respond(&socket, "message:send", ack, Err(error.into()));
                    }
                }
            }
        });
        handle(&ns, &ctx, "message:edit", messages::edit);
        handle(&ns, &ctx, "message:delete", messages::delete);
        handle(&ns, &ctx, "message:read", reads::read);
        handle(&ns, &ctx, "typing:start", typing::start);
        handle(&ns, &ctx, "typing:stop", typing::stop);
        ns.on_fallback(|socket, event, ack| async move {
            socket.state().sends.idle().await;
            let name = event.name().to_owned();
            let error = ChatError::new(
                errors::ErrorCode::UnknownEvent,
                format!("unknown event {name:?}"),
            );
            respond(&socket, &name, ack, Err(error.into()));
        });
        Ok(Chat { ctx })
    }

    /// The per-room writers (their count and statistics).
    pub fn writers(&self) -> &RoomWriters {
        &self.ctx.writers
    }

    /// (room, user) pairs currently typing.
    pub fn typing_count(&self) -> usize {
        self.ctx.typing.len()
    }

    /// The namespace the chat runs on.
    pub fn namespace(&self) -> &Namespace<ChatSocket> {
        &self.ctx.ns
    }
}

/// Registers one event handler: waits until the socket's sends are answered (events are
/// answered in the order received, see `pipeline.rs`), reads the payload (the event's first
/// argument), runs the handler, answers (see `reply.rs`).
fn handle<F, Fut>(ns: &Namespace<ChatSocket>, ctx: &Arc<Ctx>, event: &'static str, handler: F)
where
    F: Fn(Arc<Ctx>, Socket<ChatSocket>, Value) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let ctx = ctx.clone();
    let handler = Arc::new(handler);
    ns.on(event, move |socket, received, ack| {
        let ctx = ctx.clone();
        let handler = handler.clone();
        async move {
            socket.state().sends.idle().await;
            let outcome = match received.first_arg::<Value>() {
                Ok(payload) => handler(ctx, socket.clone(), payload).await,
                Err(e) => Err(ChatError::invalid(format!(
                    "{event} takes one object argument: {e}"
                ))
                .into()),
            };
            respond(&socket, event, ack, outcome);
        }
    });
}
