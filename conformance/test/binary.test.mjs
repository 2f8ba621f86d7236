// Issue 3 item 4 / item 7: binary attachments both ways on every transport
// (WebSocket binary frames; base64 `b` records over polling): Buffer,
// ArrayBuffer and Uint8Array, nested in objects and arrays, several attachments
// in one event, binary in acknowledgements both ways; compared byte for byte.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before } from "node:test";
import { startServer } from "../lib/server.mjs";
import { TRANSPORTS, ack, connect, nextEvent, test, waitTransport } from "../lib/harness.mjs";

let url;
before(async () => {
  ({ url } = await startServer({ pingIntervalMs: 1000, pingTimeoutMs: 2000 }));
});

/** Every byte value, so that no encoding step can silently drop or remap one. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/**
 * Replaces every binary value (Buffer, ArrayBuffer, any typed array) by a Buffer
 * with the same bytes, recursively, so values can be compared with deepEqual
 * whatever binary type the client hands back. Anything else is kept as is, so a
 * binary that came back as a string or a placeholder object fails the comparison.
 */
function normalize(value) {
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

/** Asserts that `actual` has the same structure and the same bytes as `expected`. */
function assertSameBytes(actual, expected, what) {
  const a = normalize(actual);
  const e = normalize(expected);
  try {
    assert.deepEqual(a, e);
  } catch {
    assert.fail(`${what}: expected ${describe(e)}, got ${describe(a)}`);
  }
}

function describe(value) {
  return JSON.stringify(value, (_, v) => {
    if (v && v.type === "Buffer" && Array.isArray(v.data)) {
      const b = Buffer.from(v.data);
      return `<${b.length} bytes ${b.subarray(0, 16).toString("hex")}${b.length > 16 ? "..." : ""}>`;
    }
    return v;
  });
}

function arrayBufferOf(buf) {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

/** Emits `message` with args and asserts that message-back carries the same bytes. */
async function echo(socket, args, what) {
  const back = nextEvent(socket, "message-back", 10000, `message-back for ${what}`);
  socket.emit("message", ...args);
  assertSameBytes(await back, args, what);
}

for (const { label, opts, final } of TRANSPORTS) {
  test(`${label}: a Buffer comes back byte for byte`, { timeout: 15000 }, async () => {
    const socket = await connect(url, opts);
    await echo(socket, [ALL_BYTES], "Buffer of all 256 byte values");
    await echo(socket, [Buffer.from("hello")], "small Buffer");
    await echo(socket, [Buffer.alloc(0)], "empty Buffer");
    await waitTransport(socket, final);
    await echo(socket, [randomBytes(100_000)], "100 kB random Buffer");
  });

  test(`${label}: ArrayBuffer and Uint8Array come back byte for byte`, { timeout: 15000 }, async () => {
    const socket = await connect(url, opts);
    await echo(socket, [arrayBufferOf(ALL_BYTES)], "ArrayBuffer");
    await echo(socket, [new Uint8Array([0, 1, 2, 253, 254, 255])], "Uint8Array");
    // A view on part of a larger buffer: only the viewed bytes must travel.
    const big = randomBytes(64);
    await echo(socket, [new Uint8Array(big.buffer, big.byteOffset + 8, 16)], "Uint8Array view with an offset");
  });

  test(`${label}: binary nested in objects and arrays, several attachments in one event`, { timeout: 15000 }, async () => {
    const socket = await connect(url, opts);
    const nested = {
      text: "mixed",
      file: Buffer.from("first attachment"),
      list: [1, Buffer.from([0xde, 0xad, 0xbe, 0xef]), { deep: arrayBufferOf(Buffer.from("third")) }, "after"],
      inner: { more: [new Uint8Array([7, 7, 7]), { evenDeeper: [randomBytes(1000)] }] },
      nothing: null,
    };
    await echo(socket, [nested], "object with 5 nested attachments");
    await echo(
      socket,
      ["text first", Buffer.from("arg 2"), [Buffer.from("arg 3a"), Buffer.from("arg 3b")], { n: 4, bin: ALL_BYTES }],
      "several arguments with 4 attachments",
    );
    await echo(socket, [[Buffer.from("a"), Buffer.from("a")]], "two identical attachments");
  });

  test(`${label}: binary and text events keep their order`, { timeout: 15000 }, async () => {
    const socket = await connect(url, opts);
    const sent = [];
    for (let i = 0; i < 30; i++) {
      sent.push(i % 2 === 0 ? { i, text: `t${i}` } : { i, bin: Buffer.from(`b${i}`) });
    }
    const received = [];
    const all = new Promise((resolve) => {
      socket.on("message-back", (m) => {
        received.push(m);
        if (received.length === sent.length) resolve();
      });
    });
    sent.forEach((m) => socket.emit("message", m));
    let timer;
    await Promise.race([
      all,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`only ${received.length}/${sent.length} came back`)), 10000);
      }),
    ]);
    clearTimeout(timer);
    assertSameBytes(received, sent, "interleaved text and binary events, in order");
  });

  test(`${label}: binary in acks both ways`, { timeout: 15000 }, async () => {
    const socket = await connect(url, opts);
    // Client -> server with ack: the ack carries the attachments back (BINARY_ACK).
    const args = [Buffer.from("ack me"), { nested: [arrayBufferOf(ALL_BYTES)] }];
    assertSameBytes(await ack(socket, "message-with-ack", args), args, "message-with-ack with 2 attachments");

    // Server -> client with ack: binary in the server's event and in the client's ack.
    const payload = { blob: randomBytes(2048), label: "from client" };
    const reply = { answer: Buffer.from("binary answer"), list: [new Uint8Array([1, 2, 3])] };
    const asked = new Promise((resolve) => {
      socket.once("server-ack-request", (received, callback) => {
        resolve(received);
        callback(reply);
      });
    });
    const [result] = await ack(socket, "request-ack", [payload]);
    assertSameBytes(await asked, payload, "server-ack-request payload (binary event to the client)");
    assertSameBytes(result, { ok: true, reply }, "request-ack result (binary ack from the client)");
  });
}
