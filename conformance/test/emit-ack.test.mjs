// Issue 3 item 4 / item 7: events and acknowledgements both ways, on every
// transport: client emit (message -> message-back), client emit with ack
// (message-with-ack), server emit with ack answered by the client
// (request-ack -> server-ack-request), and the server's ack timeout when the
// client never answers.

import assert from "node:assert/strict";
import { before } from "node:test";
import { startServer } from "../lib/server.mjs";
import { TRANSPORTS, ack, connect, nextEvent, test, waitTransport } from "../lib/harness.mjs";

/** The fixture's server-side ack timeout for server-ack-request. */
const SERVER_ACK_TIMEOUT_MS = 2000;

let url;
before(async () => {
  ({ url } = await startServer({ pingIntervalMs: 1000, pingTimeoutMs: 2000 }));
});

/** JSON values of every kind, with characters that stress the framing. */
const VALUES = [
  "plain",
  "",
  "unicode: héllo wörld, 日本語, emoji 🎉👍🏽",
  "separators: \u001e record separator, \n newline, \" quote, \\ backslash, : colon 4",
  "42[\"looks like a packet\"]",
  0,
  -17.25,
  Number.MAX_SAFE_INTEGER,
  true,
  false,
  null,
  [],
  {},
  [1, "two", { three: [3] }, null],
  { nested: { deeper: { deepest: ["x", { y: 1 }] } }, empty: {}, list: [[], [[]]] },
];

for (const { label, opts, final } of TRANSPORTS) {
  test(`${label}: message -> message-back echoes every JSON value`, { timeout: 15000 }, async () => {
    const socket = await connect(url, opts);
    for (const value of VALUES) {
      const back = nextEvent(socket, "message-back", 5000, `message-back for ${JSON.stringify(value)}`);
      socket.emit("message", value);
      assert.deepEqual(await back, [value], `message-back must echo ${JSON.stringify(value)}`);
    }
    await waitTransport(socket, final);
  });

  test(`${label}: message -> message-back keeps several arguments`, { timeout: 10000 }, async () => {
    const socket = await connect(url, opts);
    const args = ["a", 1, { b: [2, 3] }, null, false, "z"];
    const back = nextEvent(socket, "message-back", 5000);
    socket.emit("message", ...args);
    assert.deepEqual(await back, args, "message-back must carry the same arguments in the same order");
  });

  test(`${label}: 100 events emitted back-to-back come back once each, in order`, { timeout: 15000 }, async () => {
    const socket = await connect(url, opts);
    const COUNT = 100;
    const received = [];
    const all = new Promise((resolve) => {
      socket.on("message-back", (n) => {
        received.push(n);
        if (received.length === COUNT) resolve();
      });
    });
    // Emitted in one tick: over polling these share one POST payload (0x1e separated).
    for (let i = 0; i < COUNT; i++) socket.emit("message", i);
    let timer;
    await Promise.race([
      all,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`only ${received.length}/${COUNT} message-back received`)), 10000);
      }),
    ]);
    clearTimeout(timer);
    // A settle round trip: anything duplicated would have arrived before this ack.
    await ack(socket, "message-with-ack", ["settle"]);
    assert.deepEqual(received, Array.from({ length: COUNT }, (_, i) => i), "each event exactly once, in order");
  });

  test(`${label}: message-with-ack is acknowledged with the same arguments`, { timeout: 10000 }, async () => {
    const socket = await connect(url, opts);
    for (const value of VALUES) {
      assert.deepEqual(await ack(socket, "message-with-ack", [value]), [value], `ack must echo ${JSON.stringify(value)}`);
    }
    assert.deepEqual(await ack(socket, "message-with-ack", [1, "2", [3]]), [1, "2", [3]], "ack with several arguments");
    assert.deepEqual(await ack(socket, "message-with-ack", []), [], "ack with no arguments");
  });

  test(`${label}: concurrent acks are matched to their own requests`, { timeout: 10000 }, async () => {
    const socket = await connect(url, opts);
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ack(socket, "message-with-ack", [{ request: i }])),
    );
    replies.forEach((reply, i) => assert.deepEqual(reply, [{ request: i }], `ack #${i} must answer request #${i}`));
  });

  test(`${label}: the client's emitWithAck with a client-side timeout resolves`, { timeout: 10000 }, async () => {
    const socket = await connect(url, opts);
    const reply = await socket.timeout(3000).emitWithAck("message-with-ack", "timed");
    assert.equal(reply, "timed");
  });

  test(`${label}: server emits with ack, the client's reply reaches the server`, { timeout: 10000 }, async () => {
    const socket = await connect(url, opts);
    const payload = { question: "ping?", at: [1, 2, 3] };
    const asked = new Promise((resolve) => {
      socket.once("server-ack-request", (received, callback) => {
        resolve({ received, callbackType: typeof callback });
        if (typeof callback === "function") callback({ answer: "pong!", unicode: "✓" });
      });
    });
    const [result] = await ack(socket, "request-ack", [payload]);
    const { received, callbackType } = await asked;
    assert.deepEqual(received, payload, "server-ack-request must carry the request-ack payload");
    assert.equal(callbackType, "function", "server-ack-request must come with an ack id (a callback client-side)");
    assert.deepEqual(result, { ok: true, reply: { answer: "pong!", unicode: "✓" } }, "the server must see the client's ack value");
  });

  test(`${label}: server ack times out when the client does not answer`, { timeout: SERVER_ACK_TIMEOUT_MS + 8000 }, async () => {
    const socket = await connect(url, opts);
    let asked = false;
    socket.once("server-ack-request", () => {
      asked = true; // deliberately never call the ack callback
    });
    const start = Date.now();
    const [result] = await ack(socket, "request-ack", ["nobody answers"], SERVER_ACK_TIMEOUT_MS + 5000);
    const elapsed = Date.now() - start;
    assert.ok(asked, "server-ack-request must have reached the client");
    assert.deepEqual(result, { ok: false, error: "timeout" }, "the server must report the ack timeout");
    assert.ok(
      elapsed >= SERVER_ACK_TIMEOUT_MS - 200,
      `the server must wait its ${SERVER_ACK_TIMEOUT_MS} ms ack timeout before giving up (answered after ${elapsed} ms)`,
    );
    assert.ok(socket.connected, "an unanswered ack must not disconnect the client");
  });
}
