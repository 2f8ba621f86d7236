// Chat end-to-end, issue 4 item 4: history pagination across 120 messages —
// the latest 50 oldest first on join, the client `message:history {roomType,
// roomId, cursor, limit}` request walking back page by page (answered by the
// event and, with an ack, the same payload in the ack), the limit capped at
// 100, nextCursor absent on the last page, no duplicates or gaps; and the
// `sinceId` catch-up on join after a disconnect.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inRoom } from "../lib/chat-client.mjs";
import { ChatEnv, envTest } from "../lib/chat-env.mjs";
import { assertFailedAck, assertHistory, assertJoined } from "../lib/chat-shapes.mjs";

let env;
const test = envTest(it, () => env);
const ROOM = ["study", 1]; // users 1 and 3
const TOTAL = 120;
/** The 120 messages as acknowledged, in send order. */
const sent = [];
let res3;

before(async () => {
  env = await ChatEnv.start({ label: "pages" });
  res3 = await env.connect(3, "user 3 (sender)");
  await res3.mustJoin(...ROOM);
  for (let i = 1; i <= TOTAL; i++) sent.push(await res3.mustSend(...ROOM, `page message ${i}`));
});
after(async () => {
  await env?.close();
});

/**
 * The client `message:history` request with an ack: resolves with the event
 * payload, after checking that the ack carries the same payload.
 */
async function historyPage(client, request) {
  const ack = await client.request("message:history", { roomType: ROOM[0], roomId: ROOM[1], ...request });
  const event = await client.next("message:history", inRoom(...ROOM));
  assert.ok(ack && typeof ack === "object", `message:history ack: ${JSON.stringify(ack)}`);
  const { ok, ...body } = ack;
  if (ok !== undefined) assert.equal(ok, true, `message:history ack.ok: ${JSON.stringify(ack)}`);
  assert.deepEqual(body, event, "the ack carries the same payload as the message:history event");
  return assertHistory(event, ...ROOM, `message:history ${JSON.stringify(request)}`);
}

/** Pages pushed after a join with sinceId, until hasMore is false (bounded). */
async function catchUp(client, first) {
  const pages = [first];
  while (pages.at(-1).hasMore) {
    assert.ok(pages.length < 10, "catch-up did not end within 10 pages");
    pages.push(await client.next("message:history", inRoom(...ROOM)));
  }
  pages.forEach((p, i) => {
    assertHistory(p, ...ROOM, `catch-up page ${i}`);
    assert.ok(p.messages.length <= 100, `catch-up page ${i} has ${p.messages.length} messages (> 100)`);
  });
  return pages;
}

const ids = (messages) => messages.map((m) => m.id);

describe("history pages", () => {
  test("the 120 sends were acknowledged with ascending ids", { timeout: 5000 }, async () => {
    assert.equal(sent.length, TOTAL);
    for (let i = 1; i < sent.length; i++) assert.ok(sent[i].id > sent[i - 1].id, `ids ascend at ${i}`);
  });

  test("a join delivers the latest 50, oldest first, with hasMore and nextCursor", { timeout: 10000 }, async () => {
    const mgr1 = await env.connect(1);
    const { joined, history } = await mgr1.mustJoin(...ROOM);
    assertJoined(joined, ...ROOM);
    assertHistory(history, ...ROOM);
    assert.deepEqual(history.messages, sent.slice(-50), "the latest 50 messages, oldest first, as acknowledged");
    assert.equal(history.hasMore, true);
    assert.ok(Object.hasOwn(history, "nextCursor"), "nextCursor is present while hasMore");
    mgr1.close();
  });

  test("walking nextCursor back with pages of 50 yields all 120, no duplicates, no gaps, then no nextCursor", { timeout: 20000 }, async () => {
    const mgr1 = await env.connect(1);
    const { history } = await mgr1.mustJoin(...ROOM);
    const pages = [history];
    while (pages.at(-1).hasMore) {
      assert.ok(pages.length < 10, "the walk did not end within 10 pages");
      pages.push(await historyPage(mgr1, { cursor: pages.at(-1).nextCursor, limit: 50 }));
    }
    assert.deepEqual(pages.map((p) => p.messages.length), [50, 50, 20], "page sizes");
    const last = pages.at(-1);
    assert.equal(last.hasMore, false);
    assert.ok(!Object.hasOwn(last, "nextCursor"), "nextCursor absent on the last page");
    const all = pages.slice().reverse().flatMap((p) => p.messages);
    assert.deepEqual(ids(all), ids(sent), "every message once, in id order");
    assert.deepEqual(all, sent, "history pages carry the acknowledged messages");
    mgr1.close();
  });

  test("a history request without cursor gives the latest page; the limit is capped at 100", { timeout: 10000 }, async () => {
    const mgr1 = await env.connect(1);
    await mgr1.mustJoin(...ROOM);
    const ten = await historyPage(mgr1, { limit: 10 });
    assert.deepEqual(ids(ten.messages), ids(sent.slice(-10)));
    assert.equal(ten.hasMore, true);
    const capped = await historyPage(mgr1, { limit: 1000 });
    assert.equal(capped.messages.length, 100, "limit 1000 is capped at 100");
    assert.deepEqual(ids(capped.messages), ids(sent.slice(-100)));
    assert.equal(capped.hasMore, true);
    const rest = await historyPage(mgr1, { cursor: capped.nextCursor, limit: 1000 });
    assert.deepEqual(ids(rest.messages), ids(sent.slice(0, 20)));
    assert.equal(rest.hasMore, false);
    assert.ok(!Object.hasOwn(rest, "nextCursor"));
    mgr1.close();
  });

  test("anyone with access may request history without joining", { timeout: 10000 }, async () => {
    const mgr1 = await env.connect(1, "user 1 (not joined)");
    const page = await historyPage(mgr1, { limit: 5 });
    assert.deepEqual(ids(page.messages), ids(sent.slice(-5)));
    mgr1.close();
  });

  test("history is refused without access, and no page is sent", { timeout: 10000 }, async () => {
    const res5 = await env.connect(5, "user 5 (no access to study 1)");
    const ack = await res5.request("message:history", { roomType: ROOM[0], roomId: ROOM[1], limit: 50 });
    assertFailedAck(ack, "message:history without access", "ROOM_FORBIDDEN");
    // Anything the server sent for that request was queued before its ack.
    assert.deepEqual(res5.all("message:history", inRoom(...ROOM)), [], "no history page without access");
    res5.close();
  });

  test("bad cursor or limit values are refused with an error", { timeout: 10000 }, async () => {
    const mgr1 = await env.connect(1);
    for (const bad of [{ limit: "fifty" }, { cursor: "abc", limit: 10 }, { limit: -1 }]) {
      assertFailedAck(await mgr1.request("message:history", { roomType: ROOM[0], roomId: ROOM[1], ...bad }), `message:history ${JSON.stringify(bad)}`, "INVALID_PAYLOAD");
    }
    mgr1.close();
  });

  test("an empty room has an empty last page", { timeout: 10000 }, async () => {
    const mgr1 = await env.connect(1);
    const { history } = await mgr1.mustJoin("study", 2);
    assertHistory(history, "study", 2);
    assert.deepEqual(history.messages, []);
    assert.equal(history.hasMore, false);
    mgr1.close();
  });
});

describe("sinceId catch-up", () => {
  test("join with sinceId delivers every later message oldest first, paged, ending with hasMore false", { timeout: 20000 }, async () => {
    const mgr1 = await env.connect(1);
    const { history } = await mgr1.mustJoin(...ROOM, { sinceId: sent[9].id });
    const pages = await catchUp(mgr1, history);
    assert.ok(pages.length >= 2, "110 messages do not fit one page of at most 100");
    const got = pages.flatMap((p) => p.messages);
    assert.deepEqual(ids(got), ids(sent.slice(10)), "every message after sinceId once, oldest first");
    assert.deepEqual(got, sent.slice(10));
    mgr1.close();
  });

  test("join with the latest id as sinceId delivers an empty last page", { timeout: 10000 }, async () => {
    const mgr1 = await env.connect(1);
    const { history } = await mgr1.mustJoin(...ROOM, { sinceId: sent.at(-1).id });
    assertHistory(history, ...ROOM);
    assert.deepEqual(history.messages, []);
    assert.equal(history.hasMore, false);
    mgr1.close();
  });

  test("a client back after a disconnect gets exactly what was sent while it was away", { timeout: 30000 }, async () => {
    const mgr1 = await env.connect(1, "user 1 (before the disconnect)");
    await mgr1.mustJoin(...ROOM);
    const lastSeen = await res3.mustSend(...ROOM, "last message seen before the disconnect");
    await mgr1.next("message:new", (q) => q.message?.id === lastSeen.id);
    mgr1.close();
    const missed = [];
    for (let i = 1; i <= 60; i++) missed.push(await res3.mustSend(...ROOM, `sent while away ${i}`));
    const back = await env.connect(1, "user 1 (back)");
    const { history } = await back.mustJoin(...ROOM, { sinceId: lastSeen.id });
    const got = (await catchUp(back, history)).flatMap((p) => p.messages);
    assert.deepEqual(got, missed, "exactly the 60 missed messages, oldest first");
    // And the live stream continues after the catch-up.
    const live = await res3.mustSend(...ROOM, "live again");
    const p = await back.next("message:new", (q) => q.message?.id === live.id);
    assert.deepEqual(p.message, live);
    back.close();
  });
});
