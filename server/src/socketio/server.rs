//! `SocketIo`: the Socket.IO server, an [`EngineHandler`] on top of the Engine.IO
//! layer. It keeps the registered namespaces and the Socket.IO state of every open
//! session ([`Client`]), and hands each engine event to the right client.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};

use huddle_protocol::Str;
use huddle_protocol::socketio::check_namespace;

use super::client::Client;
use super::config::SocketIoConfig;
use super::connect::{ConnectError, ConnectRequest};
use super::namespace::{Namespace, NamespaceEntry, NsShared};
use crate::engine::{CloseReason, Data, EngineHandler, SessionHandle};

/// Why a namespace cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamespaceError {
    /// The name must start with `/` and contain no `,` (the packet format uses `,`
    /// to end the namespace).
    #[error("invalid namespace name {0:?}: it must start with '/' and contain no ','")]
    InvalidName(String),
    /// The namespace exists already.
    #[error("namespace {0:?} is already registered")]
    AlreadyRegistered(String),
}

struct Registered {
    entry: Arc<dyn NamespaceEntry>,
    /// The default `/` the server provides until the application registers its own.
    implicit: bool,
}

pub(crate) struct ServerShared {
    pub(crate) config: SocketIoConfig,
    /// Written when the application registers a namespace, read (one `Arc` clone)
    /// per CONNECT; never held across an `.await`.
    namespaces: RwLock<HashMap<String, Registered>>,
    /// The Socket.IO state of each open Engine.IO session, by engine sid. Read on
    /// every message; a std lock held for one map operation, never across `.await`.
    clients: RwLock<HashMap<Box<str>, Arc<Client>>>,
}

impl ServerShared {
    pub(crate) fn namespace(&self, name: &str) -> Option<Arc<dyn NamespaceEntry>> {
        let namespaces = self.namespaces.read().unwrap_or_else(|e| e.into_inner());
        namespaces.get(name).map(|r| r.entry.clone())
    }

    fn client(&self, sid: &str) -> Option<Arc<Client>> {
        let clients = self.clients.read().unwrap_or_else(|e| e.into_inner());
        clients.get(sid).cloned()
    }
}

/// The Socket.IO server. Cheap to clone; every clone is the same server.
#[derive(Clone)]
pub struct SocketIo {
    shared: Arc<ServerShared>,
}

impl fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketIo")
            .field("config", &self.shared.config)
            .field("sessions", &self.session_count())
            .finish()
    }
}

impl SocketIo {
    /// A server with only the default namespace `/` (accepting every socket, no
    /// handlers) until the application registers its own.
    pub fn new(config: SocketIoConfig) -> SocketIo {
        let io = SocketIo {
            shared: Arc::new(ServerShared {
                config,
                namespaces: RwLock::new(HashMap::new()),
                clients: RwLock::new(HashMap::new()),
            }),
        };
        let root = Arc::new(NsShared::new(
            Str::from_static("/"),
            |_request: ConnectRequest| async { Ok::<(), ConnectError>(()) },
        ));
        io.write_namespaces().insert(
            "/".to_owned(),
            Registered {
                entry: root,
                implicit: true,
            },
        );
        io
    }

    fn write_namespaces(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Registered>> {
        // Registration inserts one entry; a poisoned lock holds consistent data.
        self.shared
            .namespaces
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The settings this server runs with.
    pub fn config(&self) -> &SocketIoConfig {
        &self.shared.config
    }

    /// This server as the handler the Engine.IO layer drives.
    pub fn engine_handler(&self) -> Arc<dyn EngineHandler> {
        Arc::new(self.clone())
    }

    /// Registers namespace `name` whose sockets carry state `S`, produced by the
    /// async connect middleware `connect` from the CONNECT auth payload and the
    /// handshake: `Ok(state)` accepts the socket, `Err(ConnectError)` refuses it with
    /// CONNECT_ERROR `{"message","data"}`. Register handlers on the returned handle.
    /// `/` may be registered once (replacing the default one).
    pub fn namespace<S, F, Fut>(
        &self,
        name: &str,
        connect: F,
    ) -> Result<Namespace<S>, NamespaceError>
    where
        S: Send + Sync + 'static,
        F: Fn(ConnectRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<S, ConnectError>> + Send + 'static,
    {
        if check_namespace(name).is_err() {
            return Err(NamespaceError::InvalidName(name.to_owned()));
        }
        let mut namespaces = self.write_namespaces();
        if namespaces.get(name).is_some_and(|r| !r.implicit) {
            return Err(NamespaceError::AlreadyRegistered(name.to_owned()));
        }
        let shared = Arc::new(NsShared::new(Str::from(name.to_owned()), connect));
        namespaces.insert(
            name.to_owned(),
            Registered {
                entry: shared.clone(),
                implicit: false,
            },
        );
        Ok(Namespace::from_shared(shared))
    }

    /// Registers namespace `name` accepting every socket, with no per-socket state.
    pub fn of(&self, name: &str) -> Result<Namespace<()>, NamespaceError> {
        self.namespace(name, |_request| async { Ok(()) })
    }

    /// Number of open Engine.IO sessions.
    pub fn session_count(&self) -> usize {
        self.shared
            .clients
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Number of connected sockets in namespace `name` (0 if it does not exist).
    pub fn socket_count(&self, name: &str) -> usize {
        self.shared
            .namespace(name)
            .map_or(0, |ns| ns.socket_count())
    }
}

impl EngineHandler for SocketIo {
    fn on_open(&self, session: &SessionHandle) {
        let client = Client::new(session.clone(), self.shared.clone());
        self.shared
            .clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(session.sid().into(), client.clone());
        client.start_connect_timer();
    }

    fn on_message(&self, session: &SessionHandle, data: Data) {
        match self.shared.client(session.sid()) {
            Some(client) => client.on_message(data),
            None => tracing::debug!(
                session = session.sid(),
                "message for a session already closed; ignored"
            ),
        }
    }

    fn on_close(&self, session: &SessionHandle, reason: CloseReason) {
        let client = self
            .shared
            .clients
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(session.sid());
        if let Some(client) = client {
            tracing::debug!(session = session.sid(), %reason, "session closed");
            client.on_close(reason);
        }
    }
}
