// Issue 3 item 1 / item 7 / item 8: the Engine.IO heartbeat with small timers
// (pingInterval 300 ms, pingTimeout 200 ms). A healthy idle client survives
// many heartbeats; a client that vanishes without closing (its process frozen
// with SIGSTOP, so its TCP connection stays open but it never answers a ping)
// is detected within pingInterval + pingTimeout and removed from its rooms,
// as another client sees through `room-size`.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { startServer } from "../lib/server.mjs";
import { TRANSPORTS, ack, connect, nextEvent, test, waitUntil } from "../lib/harness.mjs";

const PING_INTERVAL_MS = 300;
const PING_TIMEOUT_MS = 200;
/**
 * Scheduling allowance on top of pingInterval + pingTimeout: the machine is
 * small and shared, and room-size is polled every 20 ms. The bound still
 * proves the configured timers are used (the defaults are 25 s + 20 s).
 */
const SLACK_MS = 1000;

const memberScript = fileURLToPath(new URL("../fixtures/member-client.mjs", import.meta.url));
const children = new Set();

let url;
before(async () => {
  ({ url } = await startServer({ pingIntervalMs: PING_INTERVAL_MS, pingTimeoutMs: PING_TIMEOUT_MS }));
});
after(() => {
  for (const child of children) killChild(child);
});

function killChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, "SIGKILL"); // also ends a stopped process
  } catch (err) {
    if (err.code !== "ESRCH") throw err;
  }
}

/** Starts a member client process that joins `room`; resolves once it is in. */
async function spawnMember(transport, room) {
  const child = spawn(process.execPath, [memberScript, url, transport, room], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`member client (${transport}) not ready within 10 s: ${out}`)), 10000);
    child.stdout.on("data", () => {
      if (/^ready /m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`member client (${transport}) exited (code ${code}, signal ${signal}) before ready: ${out}`));
    });
  });
  return child;
}

async function roomSize(socket, room) {
  const [size] = await ack(socket, "room-size", [room], 5000);
  return size;
}

for (const { label, opts, final } of TRANSPORTS) {
  test(`${label}: a healthy idle client survives several heartbeats`, { timeout: 15000 }, async () => {
    const socket = await connect(url, opts);
    let disconnectReason = null;
    socket.on("disconnect", (reason) => {
      disconnectReason = reason;
    });
    await ack(socket, "join", ["healthy"]);
    for (let i = 1; i <= 5; i++) {
      await nextEvent(socket.io.engine, "ping", PING_INTERVAL_MS + PING_TIMEOUT_MS + SLACK_MS, `server ping #${i}`);
    }
    assert.equal(disconnectReason, null, "a client that answers every ping must stay connected");
    assert.equal(socket.io.engine.transport.name, final);
    assert.equal(await roomSize(socket, "healthy"), 1, "and stay in its room");
  });
}

for (const transport of ["polling", "websocket"]) {
  test(`${transport}: a client that vanishes without closing is dropped within pingInterval + pingTimeout`, { timeout: 20000 }, async (t) => {
    const room = `vanish-${transport}`;
    const observer = await connect(url, { transports: ["websocket"] });
    await ack(observer, "join", [room]);
    const child = await spawnMember(transport, room);
    assert.equal(await roomSize(observer, room), 2, "observer and member in the room");

    // Freeze the member: its connection stays open but it answers nothing.
    process.kill(child.pid, "SIGSTOP");
    const frozenAt = Date.now();
    await waitUntil(async () => (await roomSize(observer, room)) === 1, {
      timeoutMs: PING_INTERVAL_MS + PING_TIMEOUT_MS + SLACK_MS + 5000,
      intervalMs: 20,
      what: `the frozen ${transport} member removed from the room (room-size 2 -> 1)`,
    });
    const elapsed = Date.now() - frozenAt;
    t.diagnostic(`frozen ${transport} client dropped ${elapsed} ms after SIGSTOP`);
    killChild(child);
    assert.ok(
      elapsed <= PING_INTERVAL_MS + PING_TIMEOUT_MS + SLACK_MS,
      `dropped after ${elapsed} ms; expected within pingInterval + pingTimeout = ${PING_INTERVAL_MS + PING_TIMEOUT_MS} ms ` +
        `(+${SLACK_MS} ms scheduling allowance)`,
    );
    assert.ok(observer.connected, "the healthy observer must stay connected");
  });
}

test("a client that disappears abruptly (process killed) is dropped as well", { timeout: 20000 }, async () => {
  const room = "killed";
  const observer = await connect(url, { transports: ["websocket"] });
  const child = await spawnMember("polling", room);
  assert.equal(await roomSize(observer, room), 1);
  killChild(child);
  await waitUntil(async () => (await roomSize(observer, room)) === 0, {
    timeoutMs: PING_INTERVAL_MS + PING_TIMEOUT_MS + SLACK_MS + 5000,
    what: "the killed polling member removed from the room",
  });
});
