// Issue 3 item 6: the raw Engine.IO v4 echo server of conformance mode at
// /engine.io/, driven by the real engine.io-client over polling, WebSocket and
// the upgrade: every text and binary message comes back unchanged and in order.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before } from "node:test";
import { Socket } from "engine.io-client";
import { startServer } from "../lib/server.mjs";
import { nextEvent, test, track } from "../lib/harness.mjs";

let url;
before(async () => {
  ({ url } = await startServer({ pingIntervalMs: 1000, pingTimeoutMs: 2000 }));
});

const CONFIGS = [
  { label: "polling only", opts: { transports: ["polling"] }, final: "polling" },
  { label: "websocket only", opts: { transports: ["websocket"] }, final: "websocket" },
  { label: "polling upgraded to websocket", opts: {}, final: "websocket" },
];

function asComparable(data) {
  // engine.io-parser decodes a message packet with no payload ("4") as data undefined.
  if (data === undefined) return "";
  return typeof data === "string" ? data : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
}

for (const { label, opts, final } of CONFIGS) {
  test(`${label}: /engine.io/ echoes text and binary messages in order`, { timeout: 15000 }, async () => {
    const socket = track(new Socket(url, { path: "/engine.io/", ...opts }));
    const opened = nextEvent(socket, "open", 5000, "open");
    const [handshake] = await nextEvent(socket, "handshake", 5000, "the Engine.IO handshake at /engine.io/");
    assert.equal(typeof handshake.sid, "string");
    await opened;
    if (socket.transport.name !== final) {
      await nextEvent(socket, "upgrade", 5000, `the upgrade to ${final}`);
    }
    assert.equal(socket.transport.name, final);

    const messages = [
      "hello",
      "",
      // (No raw 0x1e: Engine.IO v4 polling payloads cannot carry the record separator.)
      "unicode ✓ 🎉 日本語",
      Buffer.from([0, 1, 2, 255]),
      randomBytes(50_000),
      "4 looks like a packet type",
      Buffer.alloc(0),
      "x".repeat(100_000),
    ];
    const received = [];
    const all = new Promise((resolve) => {
      socket.on("message", (data) => {
        received.push(asComparable(data));
        if (received.length === messages.length) resolve();
      });
    });
    messages.forEach((m) => socket.send(m));
    let timer;
    await Promise.race([
      all,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`only ${received.length}/${messages.length} echoes received`)), 10000);
      }),
    ]);
    clearTimeout(timer);
    messages.forEach((m, i) => {
      const got = received[i];
      if (typeof m === "string") {
        assert.equal(typeof got, "string", `message #${i} was text, must come back as text`);
        assert.ok(got === m, `message #${i}: text must come back unchanged (${got.length} vs ${m.length} chars)`);
      } else {
        assert.ok(Buffer.isBuffer(got), `message #${i} was binary, must come back as binary`);
        assert.ok(got.equals(m), `message #${i}: ${m.length} bytes must come back unchanged (got ${got.length})`);
      }
    });
  });
}
