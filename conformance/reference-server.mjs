// The conformance-mode fixtures of `huddle conformance`, implemented with the
// reference `socket.io` / `engine.io` npm packages. It exists only to validate
// the test suite itself: a test that fails here is a wrong test, not a Huddle
// bug. Select it with CONFORMANCE_SERVER=reference (see lib/server.mjs).
//
// Flags mirror the huddle binary: --addr HOST:PORT, --ping-interval-ms,
// --ping-timeout-ms, --max-payload, --connect-timeout-ms. Like huddle it prints
// `huddle listening on http://ADDR` once bound, and on SIGTERM/SIGINT closes every
// session at the Engine.IO level and exits 0.
//
// Fixtures (see /work/notes/engine-socketio-contract.md):
//   /engine.io/  raw Engine.IO echo of every message (text or binary)
//   /socket.io/  namespaces `/`, `/custom` (emit `auth` on connect), `/secure`
//                (token middleware), and on `/`: message, message-with-ack, join,
//                leave, broadcast, broadcast-others, request-ack, disconnect-me,
//                room-size.

import { createServer } from "node:http";
import { isDeepStrictEqual, parseArgs } from "node:util";
import { Server as EngineServer } from "engine.io";
import { Server } from "socket.io";

const { values } = parseArgs({
  options: {
    addr: { type: "string", default: "127.0.0.1:3000" },
    "ping-interval-ms": { type: "string", default: "300" },
    "ping-timeout-ms": { type: "string", default: "200" },
    "max-payload": { type: "string", default: "1000000" },
    "connect-timeout-ms": { type: "string", default: "1000" },
  },
  // The huddle binary takes a `conformance` subcommand; accept and ignore it.
  allowPositionals: true,
});

const [host, portText] = splitAddr(values.addr);
const engineOptions = {
  pingInterval: Number(values["ping-interval-ms"]),
  pingTimeout: Number(values["ping-timeout-ms"]),
  maxHttpBufferSize: Number(values["max-payload"]),
};

const httpServer = createServer();

// Raw Engine.IO echo at /engine.io/.
const engine = new EngineServer(engineOptions);
engine.attach(httpServer, { path: "/engine.io/" });
engine.on("connection", (socket) => {
  socket.on("message", (data) => socket.send(data));
});

const io = new Server(httpServer, {
  ...engineOptions,
  connectTimeout: Number(values["connect-timeout-ms"]),
  cors: { origin: true, credentials: true },
});

function emitAuth(socket) {
  socket.emit("auth", socket.handshake.auth ?? {});
}

io.of("/").on("connection", (socket) => {
  emitAuth(socket);
  socket.on("message", (...args) => socket.emit("message-back", ...args));
  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    ack(...args);
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack({ ok: true });
  });
  socket.on("leave", (room, ack) => {
    socket.leave(room);
    ack({ ok: true });
  });
  socket.on("broadcast", (room, payload, ack) => {
    io.to(room).emit("broadcast", payload);
    ack({ ok: true });
  });
  socket.on("broadcast-others", (room, payload, ack) => {
    socket.to(room).emit("broadcast", payload);
    ack({ ok: true });
  });
  socket.on("request-ack", (payload, ack) => {
    socket.timeout(2000).emit("server-ack-request", payload, (err, reply) => {
      ack(err ? { ok: false, error: "timeout" } : { ok: true, reply });
    });
  });
  socket.on("disconnect-me", () => socket.disconnect());
  socket.on("room-size", (room, ack) => {
    ack(io.of("/").adapter.rooms.get(room)?.size ?? 0);
  });
});

io.of("/custom").on("connection", emitAuth);

io.of("/secure").use((socket, next) => {
  if (isDeepStrictEqual(socket.handshake.auth, { token: "open-sesame" })) {
    next();
  } else {
    const err = new Error("unauthorized");
    err.data = { code: "BAD_TOKEN" };
    next(err);
  }
});
io.of("/secure").on("connection", emitAuth);

httpServer.listen(Number(portText), host, () => {
  const { address, port } = httpServer.address();
  console.log(`huddle listening on http://${address}:${port}`);
});

let shuttingDown = false;
function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  // Engine-level close: clients see "transport close" and reconnect by themselves.
  engine.close();
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

function splitAddr(addr) {
  const i = addr.lastIndexOf(":");
  if (i < 0) throw new Error(`--addr must be HOST:PORT, got ${addr}`);
  return [addr.slice(0, i), addr.slice(i + 1)];
}
