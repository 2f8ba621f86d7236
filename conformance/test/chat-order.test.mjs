// Chat end-to-end, issue 4 item 8: order under concurrency — several clients
// in one room with concurrent senders all receive message:new in one order,
// the order of message ids; each sender's messages are stored in the order
// sent; history equals the live sequence; a client joining while messages
// flow misses none of them (history plus live covers every message).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inRoom } from "../lib/chat-client.mjs";
import { ChatEnv, envTest } from "../lib/chat-env.mjs";
import { assertMessageAck, assertMessageEvent } from "../lib/chat-shapes.mjs";

let env;
const test = envTest(it, () => env);
const ROOM = ["project", 1]; // users 1, 3, 5
const PER_SENDER = 25;

before(async () => {
  env = await ChatEnv.start({ label: "order" });
});
after(async () => {
  await env?.close();
});

/** Emits `count` messages back to back (no waiting between them); resolves with the acks in send order. */
function stream(client, tag, count) {
  const acks = [];
  for (let i = 0; i < count; i++) acks.push(client.send(...ROOM, `${tag} ${i}`));
  return Promise.all(acks);
}

/** The next `count` message:new of the room whose content starts with `prefix`, in arrival order. */
async function collect(client, prefix, count, timeoutMs = 20000) {
  const got = [];
  for (let i = 0; i < count; i++) {
    const p = await client.next("message:new", (q) => inRoom(...ROOM)(q.message) && q.message.content.startsWith(prefix), timeoutMs);
    got.push(assertMessageEvent(p, {}, `message:new at ${client.label}`));
  }
  return got;
}

/** Every message of the room, oldest first, through message:history pages of 100. */
async function wholeHistory(client) {
  const pages = [];
  let cursor;
  for (;;) {
    assert.ok(pages.length < 50, "history walk did not end");
    const request = { roomType: ROOM[0], roomId: ROOM[1], limit: 100 };
    if (cursor !== undefined) request.cursor = cursor;
    await client.request("message:history", request);
    const page = await client.next("message:history", inRoom(...ROOM));
    pages.push(page);
    if (!page.hasMore) break;
    cursor = page.nextCursor;
  }
  return pages.reverse().flatMap((p) => p.messages);
}

describe("order", () => {
  test("concurrent senders: every client sees one order = id order; each sender's order kept; history = live", { timeout: 60000 }, async () => {
    const senders = [
      await env.connect(1, "user 1 (sender)"),
      await env.connect(3, "user 3 (sender)"),
      await env.connect(5, "user 5 (sender)"),
    ];
    const watchers = [...senders, await env.connect(1, "user 1 (watcher)"), await env.connect(5, "user 5 (watcher)")];
    for (const c of watchers) await c.mustJoin(...ROOM);

    const tags = senders.map((s, i) => `conc-${i}`);
    const ackLists = await Promise.all(senders.map((s, i) => stream(s, tags[i], PER_SENDER)));
    const total = senders.length * PER_SENDER;
    const views = await Promise.all(watchers.map((w) => collect(w, "conc-", total)));

    // One order for everyone, ascending ids.
    const reference = views[0].map((m) => m.id);
    for (let i = 1; i < views.length; i++) {
      assert.deepEqual(views[i].map((m) => m.id), reference, `${watchers[i].label} saw another order than ${watchers[0].label}`);
    }
    for (let i = 1; i < reference.length; i++) {
      assert.ok(reference[i] > reference[i - 1], `message:new not in id order at position ${i}: ${reference[i - 1]} then ${reference[i]}`);
    }
    for (let i = 1; i < views.length; i++) assert.deepEqual(views[i], views[0], "same Message objects everywhere");

    // Each sender's messages stored in the order sent, and acknowledged as broadcast.
    senders.forEach((s, si) => {
      const acked = ackLists[si].map((a, i) => assertMessageAck(a, { content: `${tags[si]} ${i}`, senderId: s.auth.userId }, `ack ${i} of ${s.label}`));
      for (let i = 1; i < acked.length; i++) assert.ok(acked[i].id > acked[i - 1].id, `${s.label}: message ${i} stored before message ${i - 1}`);
      const live = views[0].filter((m) => m.content.startsWith(`${tags[si]} `));
      assert.deepEqual(live, acked, `${s.label}: the live messages are the acknowledged ones, in send order`);
    });

    // History equals the live sequence.
    const reader = await env.connect(3, "user 3 (history reader)");
    const history = (await wholeHistory(reader)).filter((m) => m.content.startsWith("conc-"));
    assert.deepEqual(history, views[0], "history = live sequence");
  });

  test("a client joining while messages flow misses none: history plus live covers them all, in order", { timeout: 60000 }, async () => {
    const sender = await env.connect(3, "user 3 (streaming)");
    await sender.mustJoin(...ROOM);
    const count = 150;
    const acks = [];
    for (let i = 0; i < count; i++) acks.push(sender.send(...ROOM, `flow ${i}`));
    // Join once the stream is under way (the first acknowledgement came back).
    await acks[0];
    const late = await env.connect(1, "user 1 (late joiner)");
    const { history } = await late.mustJoin(...ROOM);
    const acked = (await Promise.all(acks)).map((a, i) => assertMessageAck(a, { content: `flow ${i}` }, `ack ${i}`));
    const lastId = acked.at(-1).id;
    if (!history.messages.some((m) => m.id === lastId)) {
      await late.next("message:new", (q) => q.message?.id === lastId, 20000);
    }

    // From the oldest message of the join's history page on, nothing may be missing.
    const from = history.messages.length ? history.messages[0].id : 0;
    const fromHistory = history.messages.filter((m) => m.content.startsWith("flow "));
    const live = late.all("message:new", (q) => q.message?.content.startsWith("flow ")).map((q) => q.message);
    for (let i = 1; i < live.length; i++) assert.ok(live[i].id > live[i - 1].id, "live messages in id order");
    const byId = new Map([...fromHistory, ...live].map((m) => [m.id, m]));
    const union = [...byId.values()].sort((a, b) => a.id - b.id);
    assert.deepEqual(union.map((m) => m.id), acked.filter((m) => m.id >= from).map((m) => m.id),
      "history + live = every message of the stream from the history page on");
    for (const m of union) assert.deepEqual(m, acked.find((a) => a.id === m.id), "as acknowledged");
  });
});
