// Issue 3 item 4 / item 5 / item 7: rooms with the real client. 200 clients on
// a mix of transports join one room; one broadcast reaches each of them exactly
// once (counted after a settle point: an ack round trip per client, which the
// server answers after anything queued before it); broadcast-others excludes
// the sender; leave stops delivery; room-size reflects membership.

import assert from "node:assert/strict";
import { before } from "node:test";
import { startServer } from "../lib/server.mjs";
import { TRANSPORTS, ack, connect, mapLimit, test, waitUntil } from "../lib/harness.mjs";

const CLIENTS = 200;

let url;
before(async () => {
  // Generous heartbeat: 200 clients on a small machine must not be dropped by
  // a late pong; heartbeats are tested on their own in heartbeat.test.mjs.
  ({ url } = await startServer({ pingIntervalMs: 5000, pingTimeoutMs: 10000 }));
});

/** One connected client with a counter of the `broadcast` events it received. */
async function member(transportIndex) {
  const { label, opts } = TRANSPORTS[transportIndex % TRANSPORTS.length];
  const socket = await connect(url, opts, 15000);
  const state = { socket, label, received: [] };
  socket.on("broadcast", (payload) => state.received.push(payload));
  return state;
}

async function join(state, room) {
  assert.deepEqual(await ack(state.socket, "join", [room], 10000), [{ ok: true }], `join ${room} must ack {ok:true}`);
}

async function roomSize(socket, room) {
  const [size] = await ack(socket, "room-size", [room], 10000);
  return size;
}

/** The settle point: one ack round trip per client, all in parallel. */
async function settle(members) {
  await Promise.all(members.map((m) => ack(m.socket, "message-with-ack", ["settle"], 15000)));
}

/** Lists the clients whose count of received payloads differs from `expected`. */
function wrongCounts(members, expected) {
  return members
    .map((m, i) => ({ i, label: m.label, count: m.received.length }))
    .filter((m) => m.count !== expected(m.i));
}

test(`${CLIENTS} clients in one room each receive one broadcast exactly once`, { timeout: 120000 }, async (t) => {
  const room = "room-200";
  const members = await mapLimit(Array.from({ length: CLIENTS }, (_, i) => i), 25, (i) => member(i));
  await mapLimit(members, 25, (m) => join(m, room));
  assert.equal(await roomSize(members[0].socket, room), CLIENTS, `room-size must be ${CLIENTS} after every join`);

  const payload = { text: "hello everyone", n: 1, bin: Buffer.from("shared attachment") };
  const sender = members[CLIENTS - 1];
  assert.deepEqual(await ack(sender.socket, "broadcast", [room, payload], 10000), [{ ok: true }]);
  await settle(members);

  const wrong = wrongCounts(members, () => 1);
  assert.deepEqual(wrong, [], `each of ${CLIENTS} clients (sender included) must receive the broadcast exactly once`);
  for (const m of members) {
    assert.equal(m.received[0].text, payload.text);
    assert.ok(Buffer.from(m.received[0].bin).equals(payload.bin), `client on ${m.label}: attachment bytes must match`);
  }
  t.diagnostic(`transports: ${TRANSPORTS.map((x) => x.label).join(", ")} (round-robin over ${CLIENTS} clients)`);

  // broadcast-others: everybody but the sender, once more exactly once.
  const other = members[0];
  assert.deepEqual(await ack(other.socket, "broadcast-others", [room, { n: 2 }], 10000), [{ ok: true }]);
  await settle(members);
  const wrongOthers = wrongCounts(members, (i) => (i === 0 ? 1 : 2));
  assert.deepEqual(wrongOthers, [], "broadcast-others: the sender gets nothing more, every other client exactly one more");
});

test("broadcast-others excludes the sender; leave stops delivery; other rooms are untouched", { timeout: 30000 }, async () => {
  const members = await Promise.all([0, 1, 2, 3].map((i) => member(i)));
  const [a, b, c, outsider] = members;
  for (const m of [a, b, c]) await join(m, "team");
  await join(outsider, "elsewhere");
  assert.equal(await roomSize(a.socket, "team"), 3);
  assert.equal(await roomSize(a.socket, "elsewhere"), 1);
  assert.equal(await roomSize(a.socket, "nobody-here"), 0, "room-size of an unknown room is 0");

  await ack(a.socket, "broadcast-others", ["team", "from a"]);
  await settle(members);
  assert.deepEqual(
    members.map((m) => m.received),
    [[], ["from a"], ["from a"], []],
    "broadcast-others: b and c once, not the sender a, not the outsider",
  );

  assert.deepEqual(await ack(b.socket, "leave", ["team"]), [{ ok: true }], "leave must ack {ok:true}");
  assert.equal(await roomSize(a.socket, "team"), 2, "room-size after leave");
  await ack(c.socket, "broadcast", ["team", "after leave"]);
  await settle(members);
  assert.deepEqual(
    members.map((m) => m.received),
    [["after leave"], ["from a"], ["from a", "after leave"], []],
    "broadcast after b left: a and c (sender included), not b, not the outsider",
  );

  // A socket that disconnects leaves its rooms.
  // (c's DISCONNECT travels on its own connection, so a's query may overtake it: poll, bounded.)
  c.socket.disconnect();
  await waitUntil(async () => (await roomSize(a.socket, "team")) === 1, {
    timeoutMs: 5000,
    what: "a disconnected socket removed from its rooms (room-size 1)",
  });
});

test("joining the same room twice does not duplicate delivery", { timeout: 15000 }, async () => {
  const m = await member(0);
  await join(m, "twice");
  await join(m, "twice");
  assert.equal(await roomSize(m.socket, "twice"), 1);
  await ack(m.socket, "broadcast", ["twice", "once"]);
  await settle([m]);
  assert.deepEqual(m.received, ["once"]);
});
