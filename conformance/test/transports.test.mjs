// Issue 3 item 1 / item 7: the real socket.io-client over HTTP long-polling only,
// WebSocket only, polling upgraded to WebSocket (no packet lost or duplicated
// across the switch), and WebSocket first; plus the Engine.IO handshake values.

import assert from "node:assert/strict";
import { before } from "node:test";
import { startServer } from "../lib/server.mjs";
import { ack, client, connect, nextEvent, test, transportOf, waitConnected } from "../lib/harness.mjs";

const PING_INTERVAL_MS = 1000;
const PING_TIMEOUT_MS = 2000;
const MAX_PAYLOAD = 1_000_000;

let url;
before(async () => {
  ({ url } = await startServer({
    pingIntervalMs: PING_INTERVAL_MS,
    pingTimeoutMs: PING_TIMEOUT_MS,
    maxPayload: MAX_PAYLOAD,
  }));
});

/** message -> message-back round trip with a unique value. */
async function roundTrip(socket, value) {
  const back = nextEvent(socket, "message-back", 5000, `"message-back" echoing ${JSON.stringify(value)}`);
  socket.emit("message", value);
  assert.deepEqual(await back, [value], "message-back must echo the arguments of message");
}

test("handshake over polling announces the websocket upgrade and the configured timers", { timeout: 10000 }, async () => {
  const socket = client(url, { transports: ["polling"] });
  const [handshake] = await nextEvent(socket.io.engine, "handshake", 5000, "the Engine.IO open packet");
  assert.equal(typeof handshake.sid, "string", "open packet: sid must be a string");
  assert.ok(handshake.sid.length > 0, "open packet: sid must not be empty");
  assert.deepEqual(handshake.upgrades, ["websocket"], "open packet over polling: upgrades must be [\"websocket\"]");
  assert.equal(handshake.pingInterval, PING_INTERVAL_MS, "open packet: pingInterval = --ping-interval-ms");
  assert.equal(handshake.pingTimeout, PING_TIMEOUT_MS, "open packet: pingTimeout = --ping-timeout-ms");
  assert.equal(handshake.maxPayload, MAX_PAYLOAD, "open packet: maxPayload = --max-payload");
  await waitConnected(socket, 5000);
});

test("handshake over websocket offers no further upgrade", { timeout: 10000 }, async () => {
  const socket = client(url, { transports: ["websocket"] });
  const [handshake] = await nextEvent(socket.io.engine, "handshake", 5000, "the Engine.IO open packet");
  assert.deepEqual(handshake.upgrades, [], "open packet over websocket: upgrades must be []");
  assert.equal(handshake.pingInterval, PING_INTERVAL_MS);
  assert.equal(handshake.pingTimeout, PING_TIMEOUT_MS);
  await waitConnected(socket, 5000);
});

test("polling only: connects, exchanges events and stays on polling across heartbeats", { timeout: 15000 }, async () => {
  const socket = await connect(url, { transports: ["polling"] });
  assert.equal(transportOf(socket), "polling", "transports:['polling'] must connect over polling");
  await roundTrip(socket, "over polling");
  // Two server pings answered: the session survives heartbeats on polling.
  await nextEvent(socket.io.engine, "ping", PING_INTERVAL_MS + 3000, "a first server ping");
  await nextEvent(socket.io.engine, "ping", PING_INTERVAL_MS + 3000, "a second server ping");
  assert.ok(socket.connected, "still connected after two heartbeats");
  assert.equal(transportOf(socket), "polling", "still on polling");
  await roundTrip(socket, "after heartbeats");
});

test("websocket only: connects directly over websocket and exchanges events", { timeout: 15000 }, async () => {
  const socket = client(url, { transports: ["websocket"] });
  let upgraded = false;
  socket.io.engine.on("upgrade", () => {
    upgraded = true;
  });
  await waitConnected(socket, 5000);
  assert.equal(transportOf(socket), "websocket", "transports:['websocket'] must connect over websocket");
  await roundTrip(socket, "over websocket");
  await nextEvent(socket.io.engine, "ping", PING_INTERVAL_MS + 3000, "a server ping over websocket");
  assert.ok(socket.connected, "still connected after a heartbeat");
  await roundTrip(socket, "after heartbeat");
  assert.equal(upgraded, false, "a websocket-only connection must not upgrade");
});

test("polling upgraded to websocket: a numbered stream crosses the upgrade without loss or duplication", { timeout: 30000 }, async (t) => {
  const MIN_MESSAGES = 200;
  const BEFORE_PROBE = 20; // message-backs received over polling before the upgrade may start
  const MIN_AFTER_UPGRADE = 20;
  const MAX_MESSAGES = 5000;
  const WINDOW = 10; // messages in flight at any time, so some are always crossing the switch

  const socket = client(url, {});
  const engine = socket.io.engine;
  // The client starts its upgrade probe right after the Engine.IO handshake,
  // usually before any event has travelled. Hold the probe (client-side only)
  // until the stream has been flowing over polling, so the switch happens with
  // packets in flight in both directions.
  assert.equal(typeof engine._probe, "function", "engine.io-client internals changed: Socket#_probe not found");
  const probe = engine._probe.bind(engine);
  const heldProbes = [];
  let probeReleased = false;
  engine._probe = (name) => {
    if (probeReleased) probe(name);
    else heldProbes.push(name);
  };
  const releaseProbe = () => {
    probeReleased = true;
    heldProbes.splice(0).forEach((name) => probe(name));
  };

  let upgradedAt = -1; // messages sent when the upgrade completed
  let sent = 0;
  const received = [];
  const receivedOn = { polling: 0, websocket: 0 };
  let finish;
  const done = new Promise((resolve) => {
    finish = resolve;
  });

  engine.on("upgrade", () => {
    upgradedAt = sent;
  });
  const sendNext = () => {
    socket.emit("message", { n: sent });
    sent += 1;
  };
  socket.on("message-back", (msg) => {
    received.push(msg.n);
    receivedOn[transportOf(socket)] += 1;
    if (!probeReleased && receivedOn.polling >= BEFORE_PROBE) releaseProbe();
    const enough = sent >= MIN_MESSAGES && upgradedAt >= 0 && sent - upgradedAt >= MIN_AFTER_UPGRADE;
    if (!enough && sent < MAX_MESSAGES) {
      sendNext();
    } else if (received.length === sent) {
      finish();
    }
  });

  await waitConnected(socket, 5000);
  assert.equal(transportOf(socket), "polling", "the default client must start on polling");
  for (let i = 0; i < WINDOW; i++) sendNext();

  let timer;
  await Promise.race([
    done,
    new Promise((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `stream did not complete: sent ${sent}, received ${received.length}, upgradedAt ${upgradedAt}, ` +
                `probe released ${probeReleased}, transport ${transportOf(socket)}`,
            ),
          ),
        20000,
      );
    }),
  ]);
  clearTimeout(timer);

  t.diagnostic(
    `sent ${sent}, upgrade completed after ${upgradedAt} sent; message-back over polling ${receivedOn.polling}, over websocket ${receivedOn.websocket}`,
  );
  assert.equal(transportOf(socket), "websocket", "the transport must end as websocket");
  assert.ok(receivedOn.polling >= BEFORE_PROBE, `at least ${BEFORE_PROBE} message-back must arrive over polling`);
  assert.ok(receivedOn.websocket >= 1, "message-back must arrive over websocket after the upgrade");
  const expected = Array.from({ length: sent }, (_, i) => i);
  const seenOnce = new Set();
  const duplicates = received.filter((n) => seenOnce.has(n) || !seenOnce.add(n));
  const missing = expected.filter((n) => !seenOnce.has(n));
  assert.deepEqual(
    { duplicates, missing },
    { duplicates: [], missing: [] },
    `every one of ${sent} messages must come back exactly once`,
  );
  assert.deepEqual(received, expected, "messages must come back in the order they were sent");
  await roundTrip(socket, "after the stream");
});

test("websocket first (transports ['websocket','polling']): connects over websocket", { timeout: 10000 }, async () => {
  const socket = await connect(url, { transports: ["websocket", "polling"] });
  assert.equal(transportOf(socket), "websocket", "the first transport listed must be used");
  await roundTrip(socket, "websocket first");
  const [reply] = await ack(socket, "message-with-ack", ["ack over websocket first"]);
  assert.equal(reply, "ack over websocket first");
});

test("websocket first with tryAllTransports: connects over websocket", { timeout: 10000 }, async () => {
  const socket = await connect(url, { transports: ["websocket", "polling"], tryAllTransports: true });
  assert.equal(transportOf(socket), "websocket", "websocket must succeed first when it works");
  await roundTrip(socket, "tryAllTransports");
});

test("upgrade disabled (upgrade:false): the default client stays on polling", { timeout: 10000 }, async () => {
  const socket = await connect(url, { upgrade: false });
  assert.equal(transportOf(socket), "polling");
  await roundTrip(socket, "no upgrade");
  assert.equal(transportOf(socket), "polling", "upgrade:false must keep polling");
});
