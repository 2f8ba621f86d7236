// Issue 3 item 7 / item 8: server restarts as clients live through them.
//  - The server process is killed (SIGKILL) and a new one starts on the same
//    port: clients on every transport reconnect by themselves and work.
//  - Graceful shutdown: SIGTERM (and SIGINT) closes every session at the
//    Engine.IO level, so clients see "transport close" (not
//    "io server disconnect", which would stop them from reconnecting); the
//    process exits with code 0 within a bounded time; the clients reconnect by
//    themselves to the next instance on the same port.
//    A polling-only client may instead see "transport error": the Node client
//    opens a new TCP connection for every poll (xmlhttprequest-ssl, no agent),
//    so a client caught between two polls when the listener stops accepting
//    cannot receive the close packet; the reference server gives
//    "transport error" in that case too (its close discards polling
//    transports). Both are engine-level and lead to automatic reconnection;
//    "io server disconnect" never does and is always a failure.

import assert from "node:assert/strict";
import { startServer } from "../lib/server.mjs";
import { TRANSPORTS, ack, connect, nextEvent, test, transportOf, waitTransport } from "../lib/harness.mjs";

const SERVER_OPTS = { pingIntervalMs: 1000, pingTimeoutMs: 2000 };
/** Bound on a graceful shutdown with a handful of clients connected. */
const SHUTDOWN_BOUND_MS = 5000;
const RECONNECT = { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 200, randomizationFactor: 0 };

/** One client per transport configuration, connected, each in room `room`. */
async function clientsInRoom(url, room) {
  return Promise.all(
    TRANSPORTS.map(async ({ label, opts, final }) => {
      const socket = await connect(url, { ...opts, ...RECONNECT });
      await waitTransport(socket, final);
      assert.deepEqual(await ack(socket, "join", [room]), [{ ok: true }]);
      return { label, final, socket, firstId: socket.id };
    }),
  );
}

/** After a reconnection: new session, events and acks work, rooms start empty. */
async function assertWorksAfterReconnect(clients, room) {
  for (const { label, final, socket, firstId } of clients) {
    assert.ok(socket.connected, `${label}: connected again`);
    assert.notEqual(socket.id, firstId, `${label}: a new socket id on the new server`);
    await waitTransport(socket, final);
    const back = nextEvent(socket, "message-back", 5000, `${label}: message-back after reconnecting`);
    socket.emit("message", `${label} is back`);
    assert.deepEqual(await back, [`${label} is back`]);
  }
  const [size] = await ack(clients[0].socket, "room-size", [room]);
  assert.equal(size, 0, "the new server starts with empty rooms (the clients must rejoin)");
  await Promise.all(clients.map(({ socket }) => ack(socket, "join", [room])));
  const [sizeAfter] = await ack(clients[0].socket, "room-size", [room]);
  assert.equal(sizeAfter, clients.length, "every reconnected client can join again");
}

test("after the server is killed and restarted on the same port, clients reconnect by themselves", { timeout: 40000 }, async (t) => {
  const first = await startServer(SERVER_OPTS);
  const clients = await clientsInRoom(first.url, "before-crash");

  const disconnects = clients.map(({ label, socket }) =>
    nextEvent(socket, "disconnect", 10000, `${label}: a disconnect when the server dies`),
  );
  const { signal } = await first.server.kill("SIGKILL");
  assert.equal(signal, "SIGKILL");
  const reasons = (await Promise.all(disconnects)).map(([reason]) => reason);
  t.diagnostic(`disconnect reasons: ${clients.map((c, i) => `${c.label}=${reasons[i]}`).join(", ")}`);
  reasons.forEach((reason, i) =>
    assert.ok(
      ["transport close", "transport error", "ping timeout"].includes(reason),
      `${clients[i].label}: an engine-level disconnect reason, got "${reason}"`,
    ),
  );
  clients.forEach(({ label, socket }) => assert.ok(socket.active, `${label}: the client must be trying to reconnect`));

  // Reconnection attempts fail (connection refused) until the new server is up.
  const reconnects = clients.map(({ label, socket }) =>
    nextEvent(socket, "connect", 20000, `${label}: an automatic reconnection to the new server`),
  );
  const second = await startServer({ ...SERVER_OPTS, addr: `127.0.0.1:${first.port}` });
  assert.equal(second.port, first.port, "the new server must listen on the same port");
  await Promise.all(reconnects);
  await assertWorksAfterReconnect(clients, "before-crash");
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  test(`graceful shutdown on ${signal}: "transport close", exit 0, clients reconnect to the next instance`, { timeout: 40000 }, async (t) => {
    const first = await startServer(SERVER_OPTS);
    const clients = await clientsInRoom(first.url, "before-shutdown");
    clients.forEach(({ label, socket, final }) => assert.equal(transportOf(socket), final, label));

    const disconnects = clients.map(({ label, socket }) =>
      nextEvent(socket, "disconnect", SHUTDOWN_BOUND_MS, `${label}: a disconnect on ${signal}`),
    );
    const sentAt = Date.now();
    first.server.signal(signal);
    const [status, ...results] = await Promise.all([first.server.waitExit(SHUTDOWN_BOUND_MS), ...disconnects]);
    const elapsed = Date.now() - sentAt;

    t.diagnostic(`disconnect reasons: ${clients.map((c, i) => `${c.label}=${results[i][0]}`).join(", ")}; exit after ${elapsed} ms`);
    results.forEach(([reason], i) => {
      const allowed = clients[i].final === "polling" ? ["transport close", "transport error"] : ["transport close"];
      assert.ok(
        allowed.includes(reason),
        `${clients[i].label}: shutdown must close the session at the Engine.IO level (${allowed.join(" or ")}), ` +
          `not with a Socket.IO DISCONNECT ("io server disconnect"); got "${reason}"`,
      );
    });
    assert.deepEqual(
      { code: status.code, signal: status.signal },
      { code: 0, signal: null },
      `on ${signal} the server must exit by itself with code 0 (took ${elapsed} ms)`,
    );
    clients.forEach(({ label, socket }) =>
      assert.ok(socket.active, `${label}: after "transport close" the client must try to reconnect`),
    );

    const reconnects = clients.map(({ label, socket }) =>
      nextEvent(socket, "connect", 20000, `${label}: an automatic reconnection to the next instance`),
    );
    const second = await startServer({ ...SERVER_OPTS, addr: `127.0.0.1:${first.port}` });
    assert.equal(second.port, first.port);
    await Promise.all(reconnects);
    await assertWorksAfterReconnect(clients, "before-shutdown");
  });
}

test("graceful shutdown with no client connected exits 0 promptly", { timeout: 15000 }, async () => {
  const { server } = await startServer(SERVER_OPTS);
  server.signal("SIGTERM");
  const status = await server.waitExit(SHUTDOWN_BOUND_MS);
  assert.deepEqual({ code: status.code, signal: status.signal }, { code: 0, signal: null }, "exit code 0 on SIGTERM");
});
