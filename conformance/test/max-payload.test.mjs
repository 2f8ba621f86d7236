// Issue 3 item 2 / item 7: maxPayload (here --max-payload 10000) on every
// transport. A message of exactly maxPayload bytes (the POST body over polling,
// the WebSocket message over websocket) is delivered; one byte more is refused
// as the reference server refuses it (HTTP 413 on the POST: the client sees
// "transport error"; WebSocket close 1009: the client sees "transport close"),
// so the client gets a disconnect, never a silent hang, and the server keeps
// serving others.

import assert from "node:assert/strict";
import { before } from "node:test";
import { startServer } from "../lib/server.mjs";
import { TRANSPORTS, connect, nextEvent, test, waitTransport } from "../lib/harness.mjs";

const MAX_PAYLOAD = 10000;

/**
 * How the reference server refuses an oversized message, as the client sees it,
 * per final transport: the disconnect reason and what its details carry.
 */
const OVERSIZE = {
  polling: {
    reason: "transport error",
    detail: (d) => d?.description,
    expected: 413,
    detailName: "the POST's HTTP status (413 Payload Too Large)",
  },
  websocket: {
    reason: "transport close",
    detail: (d) => d?.context?.code,
    expected: 1009,
    detailName: "the WebSocket close code (1009 Message Too Big)",
  },
};

let url;
before(async () => {
  ({ url } = await startServer({ pingIntervalMs: 1000, pingTimeoutMs: 2000, maxPayload: MAX_PAYLOAD }));
});

/**
 * A string s such that the Engine.IO packet of `emit("message", s)`,
 * i.e. `42["message","<s>"]`, is exactly `size` bytes (ASCII, so chars = bytes).
 * Over polling a lone packet is the whole POST body; over websocket it is the message.
 */
function textOfPacketSize(size) {
  const overhead = `42${JSON.stringify(["message", ""])}`.length;
  const s = "x".repeat(size - overhead);
  assert.equal(`42${JSON.stringify(["message", s])}`.length, size);
  return s;
}

/** Connects over the given transports and waits until on the final transport. */
async function connected(opts, final) {
  const socket = await connect(url, opts);
  await waitTransport(socket, final);
  return socket;
}

/** Emits, then asserts the echo arrives (intact) and the socket stays connected. */
async function assertDelivered(socket, args, what) {
  const back = nextEvent(socket, "message-back", 5000, `message-back for ${what}`);
  socket.emit("message", ...args);
  const got = await back;
  assert.equal(got.length, args.length, `${what}: argument count`);
  args.forEach((a, i) => {
    if (typeof a === "string") assert.ok(got[i] === a, `${what}: text must come back intact (${got[i]?.length} chars)`);
    else assert.ok(Buffer.from(got[i]).equals(a), `${what}: bytes must come back intact`);
  });
  assert.ok(socket.connected, `${what}: the client must stay connected`);
}

/** Emits an oversized message and asserts the disconnect the reference gives on `transport`, and no echo. */
async function assertRefused(socket, args, transport, what) {
  const { reason, detail, expected, detailName } = OVERSIZE[transport];
  let echoed = false;
  socket.on("message-back", () => {
    echoed = true;
  });
  const disconnected = nextEvent(socket, "disconnect", 5000, `a disconnect after ${what} (not a silent hang)`);
  socket.emit("message", ...args);
  const [got, details] = await disconnected;
  assert.equal(got, reason, `${what}: disconnect reason as with the reference server`);
  assert.equal(detail(details), expected, `${what}: ${detailName}`);
  assert.equal(echoed, false, `${what}: must not be delivered`);
}

/** The server still serves a new client after refusing an oversized message. */
async function assertServerAlive(opts) {
  const fresh = await connect(url, opts);
  const back = nextEvent(fresh, "message-back", 5000);
  fresh.emit("message", "alive");
  assert.deepEqual(await back, ["alive"], "the server keeps serving after refusing an oversized message");
}

for (const { label, opts, final } of TRANSPORTS) {
  test(`${label}: a text message of exactly maxPayload bytes is delivered`, { timeout: 15000 }, async () => {
    const socket = await connected(opts, final);
    await assertDelivered(socket, [textOfPacketSize(MAX_PAYLOAD)], `${MAX_PAYLOAD}-byte packet`);
    await assertDelivered(socket, [textOfPacketSize(MAX_PAYLOAD - 1)], `${MAX_PAYLOAD - 1}-byte packet`);
  });

  test(`${label}: a text message of maxPayload + 1 bytes is refused with a disconnect`, { timeout: 15000 }, async () => {
    const socket = await connected(opts, final);
    await assertRefused(socket, [textOfPacketSize(MAX_PAYLOAD + 1)], final, `${MAX_PAYLOAD + 1}-byte packet`);
    await assertServerAlive(opts);
  });
}

for (const { label, opts, final } of TRANSPORTS.filter((x) => x.final === "websocket")) {
  // A binary attachment is its own WebSocket message (no type byte in Engine.IO v4),
  // so the limit applies to the attachment's bytes exactly.
  test(`${label}: a binary attachment of exactly maxPayload bytes is delivered`, { timeout: 15000 }, async () => {
    const socket = await connected(opts, final);
    await assertDelivered(socket, [Buffer.alloc(MAX_PAYLOAD, 0xab)], `${MAX_PAYLOAD}-byte attachment`);
  });

  test(`${label}: a binary attachment of maxPayload + 1 bytes is refused with a disconnect`, { timeout: 15000 }, async () => {
    const socket = await connected(opts, final);
    await assertRefused(socket, [Buffer.alloc(MAX_PAYLOAD + 1, 0xcd)], "websocket", `${MAX_PAYLOAD + 1}-byte attachment`);
    await assertServerAlive(opts);
  });
}
