// Issue 3 item 4 / item 7: namespaces and connect middleware as the real client
// sees them: the CONNECT auth payload reaching the server (`auth` fixture),
// `/secure` accepting the right token and rejecting a wrong one with
// CONNECT_ERROR {message, data}, an unknown namespace rejected, several
// namespaces multiplexed on one connection, a server-side disconnect, and the
// connect timeout for a session that never sends CONNECT.

import assert from "node:assert/strict";
import { before } from "node:test";
import { Socket as EngineSocket } from "engine.io-client";
import { io } from "socket.io-client";
import { startServer } from "../lib/server.mjs";
import { TRANSPORTS, ack, client, connect, nextEvent, test, track } from "../lib/harness.mjs";

const CONNECT_TIMEOUT_MS = 1000;

let url;
before(async () => {
  ({ url } = await startServer({ pingIntervalMs: 1000, pingTimeoutMs: 2000, connectTimeoutMs: CONNECT_TIMEOUT_MS }));
});

/** Opens a socket and resolves with the payload of its first `auth` event and the socket. */
async function authEcho(opts) {
  const socket = client(url, opts);
  const [auth] = await nextEvent(socket, "auth", 5000, `the "auth" event on ${opts.nsp ?? "/"}`);
  assert.ok(socket.connected, "the auth event arrives once connected");
  return { socket, auth };
}

/** Resolves with the connect_error of a socket that must be refused. */
async function refused(opts) {
  const socket = client(url, opts);
  let connected = false;
  socket.on("connect", () => {
    connected = true;
  });
  const [err] = await nextEvent(socket, "connect_error", 5000, `connect_error on ${opts.nsp}`);
  assert.equal(connected, false, `${opts.nsp} must not connect`);
  return { socket, err };
}

for (const { label, opts } of TRANSPORTS) {
  test(`${label}: /custom receives the CONNECT auth payload`, { timeout: 10000 }, async () => {
    const auth = { token: "abc", user: { id: 7, name: "Zoë" }, list: [1, 2] };
    const { auth: echoed } = await authEcho({ ...opts, nsp: "/custom", auth });
    assert.deepEqual(echoed, auth, "the auth event must echo the CONNECT auth payload");
  });

  test(`${label}: /custom without auth receives {}`, { timeout: 10000 }, async () => {
    const { auth } = await authEcho({ ...opts, nsp: "/custom" });
    assert.deepEqual(auth, {}, "without auth the auth event must carry {}");
  });

  test(`${label}: / also echoes the auth payload`, { timeout: 10000 }, async () => {
    const { auth } = await authEcho({ ...opts, auth: { hello: "root" } });
    assert.deepEqual(auth, { hello: "root" });
  });

  test(`${label}: /secure accepts the right token`, { timeout: 10000 }, async () => {
    const socket = await connect(url, { ...opts, nsp: "/secure", auth: { token: "open-sesame" } });
    assert.ok(socket.connected, "/secure with {token:'open-sesame'} must connect");
    assert.equal(typeof socket.id, "string");
  });

  test(`${label}: /secure rejects a wrong token with CONNECT_ERROR {message, data}`, { timeout: 10000 }, async () => {
    for (const auth of [{ token: "wrong" }, undefined, { token: "open-sesame", extra: 1 }]) {
      const { err } = await refused({ ...opts, nsp: "/secure", ...(auth ? { auth } : {}) });
      assert.equal(err.message, "unauthorized", `auth ${JSON.stringify(auth)}: connect_error message`);
      assert.deepEqual(err.data, { code: "BAD_TOKEN" }, `auth ${JSON.stringify(auth)}: connect_error data`);
    }
  });

  test(`${label}: an unknown namespace is rejected with "Invalid namespace"`, { timeout: 10000 }, async () => {
    const { err } = await refused({ ...opts, nsp: "/does-not-exist" });
    assert.equal(err.message, "Invalid namespace", "connect_error message for an unknown namespace");
  });

  test(`${label}: namespaces multiplexed on one connection; a refused one leaves the others working`, { timeout: 10000 }, async () => {
    // Without forceNew, sockets to the same origin share one Manager, hence one Engine.IO session.
    const root = track(io(url, { ...opts, forceNew: true, reconnection: false }));
    const custom = track(root.io.socket("/custom", { auth: { via: "multiplex" } }));
    const secure = track(root.io.socket("/secure", { auth: { token: "nope" } }));
    custom.connect();
    secure.connect();
    const [[rootAuth], [customAuth], [secureErr]] = await Promise.all([
      nextEvent(root, "auth", 5000, "auth on /"),
      nextEvent(custom, "auth", 5000, "auth on /custom"),
      nextEvent(secure, "connect_error", 5000, "connect_error on /secure"),
    ]);
    assert.deepEqual(rootAuth, {});
    assert.deepEqual(customAuth, { via: "multiplex" });
    assert.equal(secureErr.message, "unauthorized");
    assert.equal(root.io, custom.io, "both sockets share one Manager");
    assert.ok(root.connected && custom.connected, "/ and /custom stay connected after /secure is refused");
    const back = nextEvent(root, "message-back", 5000);
    root.emit("message", "still works");
    assert.deepEqual(await back, ["still works"]);
    assert.deepEqual(await ack(root, "message-with-ack", ["ack"]), ["ack"]);
  });

  test(`${label}: disconnect-me gives "io server disconnect" and no automatic reconnection`, { timeout: 10000 }, async () => {
    const socket = await connect(url, { ...opts, reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 });
    const disconnected = nextEvent(socket, "disconnect", 5000, "disconnect after disconnect-me");
    socket.emit("disconnect-me");
    const [reason] = await disconnected;
    assert.equal(reason, "io server disconnect", "a socket.io DISCONNECT from the server");
    assert.equal(socket.active, false, "after io server disconnect the client must not reconnect by itself");
    // The client may reconnect explicitly.
    const again = nextEvent(socket, "connect", 5000, "an explicit reconnect");
    socket.connect();
    await again;
    assert.deepEqual(await ack(socket, "message-with-ack", ["back"]), ["back"]);
  });
}

for (const transport of ["polling", "websocket"]) {
  test(`${transport}: a session that never sends CONNECT is closed after the connect timeout`, { timeout: 10000 }, async () => {
    // A raw Engine.IO session on the Socket.IO path: handshake done, no CONNECT packet.
    const engine = track(new EngineSocket(url, { path: "/socket.io/", transports: [transport], upgrade: false }));
    await nextEvent(engine, "open", 5000, "the Engine.IO open");
    const opened = Date.now();
    const [reason] = await nextEvent(engine, "close", CONNECT_TIMEOUT_MS + 4000, "the session to be closed by the connect timeout");
    const elapsed = Date.now() - opened;
    assert.equal(reason, "transport close", "the server closes the session at the Engine.IO level");
    assert.ok(
      elapsed >= CONNECT_TIMEOUT_MS - 200,
      `closed after ${elapsed} ms: must wait the ${CONNECT_TIMEOUT_MS} ms connect timeout`,
    );
  });
}
