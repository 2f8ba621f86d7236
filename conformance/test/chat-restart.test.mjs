// Chat end-to-end, issue 4 item 8: durability across restarts of `huddle` —
// everything acknowledged before the process is killed (SIGKILL, by PID) or
// shut down (SIGTERM) is in history after a new process starts on the same
// database, with its edits, deletes and reads; ids keep ascending; a
// clientMessageId resend after the restart is answered with the original and
// adds nothing; a sinceId catch-up spans the restart.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inRoom } from "../lib/chat-client.mjs";
import { ChatEnv, envTest } from "../lib/chat-env.mjs";
import { assertHistory, assertMessageAck, assertOkAck } from "../lib/chat-shapes.mjs";

let env;
const test = envTest(it, () => env);
const ROOM = ["project", 1];

before(async () => {
  env = await ChatEnv.start({ label: "restart" });
});
after(async () => {
  await env?.close();
});

/** Every message of the room, oldest first, through message:history pages of 100. */
async function wholeHistory(client) {
  const pages = [];
  let cursor;
  for (;;) {
    assert.ok(pages.length < 50, "history walk did not end");
    const request = { roomType: ROOM[0], roomId: ROOM[1], limit: 100 };
    if (cursor !== undefined) request.cursor = cursor;
    await client.request("message:history", request);
    const page = assertHistory(await client.next("message:history", inRoom(...ROOM)), ...ROOM);
    pages.push(page);
    if (!page.hasMore) break;
    cursor = page.nextCursor;
  }
  return pages.reverse().flatMap((p) => p.messages);
}

/** Replaces the message with the same id in `list`. */
const replace = (list, m) => list.map((x) => (x.id === m.id ? m : x));

describe("restart", () => {
  /** What the server acknowledged so far, as the room should show it. */
  let expected = [];
  let cmid;
  let lastSeenBeforeKill;

  test("history after a SIGKILL equals everything acknowledged before it, edits and deletes included", { timeout: 60000 }, async () => {
    const res3 = await env.connect(3, "user 3");
    const mgr1 = await env.connect(1, "user 1");
    await res3.mustJoin(...ROOM);
    await mgr1.mustJoin(...ROOM);
    cmid = `restart-${process.pid}-${Date.now()}`;
    for (let i = 0; i < 30; i++) {
      const extra = i === 7 ? { clientMessageId: cmid } : {};
      expected.push(await res3.mustSend(...ROOM, `before the kill ${i}`, extra));
    }
    const edited = assertMessageAck(
      await res3.request("message:edit", { messageId: expected[3].id, content: "edited before the kill" }),
      { id: expected[3].id }, "edit");
    expected = replace(expected, edited);
    assertOkAck(await mgr1.request("message:delete", { messageId: expected[5].id }), "delete");
    await res3.next("message:deleted", (q) => q.messageId === expected[5].id);
    assertOkAck(await mgr1.request("message:read", { messageId: expected[9].id }), "read");
    await res3.next("message:read", (q) => q.messageId === expected[9].id);
    lastSeenBeforeKill = expected[19];

    const oldPid = env.server.pid;
    const status = await env.restart("SIGKILL");
    assert.equal(status.signal, "SIGKILL", "the first process was killed");
    assert.notEqual(env.server.pid, oldPid, "a new process serves");

    const reader = await env.connect(1, "user 1 (after the restart)");
    await reader.mustJoin(...ROOM);
    const history = await wholeHistory(reader);
    const [deleted] = history.filter((m) => m.id === expected[5].id);
    assert.ok(deleted, "the deleted message is still in history");
    assert.notEqual(deleted.deletedAt, null, "as a tombstone");
    assert.equal(deleted.content, "");
    expected = replace(expected, deleted);
    assert.deepEqual(history, expected, "history after the restart = what was acknowledged");
  });

  test("after the restart: ids keep ascending, a clientMessageId resend returns the original, a repeated read broadcasts nothing", { timeout: 30000 }, async () => {
    const res3 = await env.connect(3, "user 3 (after the restart)");
    const mgr1 = await env.connect(1, "user 1 (after the restart)");
    await res3.mustJoin(...ROOM);
    await mgr1.mustJoin(...ROOM);
    const before = await env.db.countMessages();
    const again = assertMessageAck(await res3.send(...ROOM, "before the kill 7", { clientMessageId: cmid }), {}, "resend after the restart");
    assert.equal(again.id, expected[7].id, "the resend is the original message");
    assert.deepEqual(again, expected[7]);

    assertOkAck(await mgr1.request("message:read", { messageId: expected[9].id }), "repeated read after the restart");
    const next = await res3.mustSend(...ROOM, "after the restart");
    assert.ok(next.id > expected.at(-1).id, `new id ${next.id} after ${expected.at(-1).id}`);
    await mgr1.next("message:new", (q) => q.message?.id === next.id);
    assert.equal(mgr1.all("message:new", (q) => q.message?.id === expected[7].id).length, 0, "the resend broadcast nothing");
    assert.equal(res3.all("message:read", (q) => q.messageId === expected[9].id).length, 0, "the read was remembered across the restart");
    assert.equal(await env.db.countMessages(), before + 1);
    expected.push(next);
  });

  test("a sinceId catch-up spans the restart", { timeout: 30000 }, async () => {
    const mgr1 = await env.connect(1, "user 1 (catching up)");
    const { history } = await mgr1.mustJoin(...ROOM, { sinceId: lastSeenBeforeKill.id });
    const pages = [assertHistory(history, ...ROOM)];
    while (pages.at(-1).hasMore) {
      assert.ok(pages.length < 10);
      pages.push(assertHistory(await mgr1.next("message:history", inRoom(...ROOM)), ...ROOM));
    }
    const got = pages.flatMap((p) => p.messages);
    const from = expected.findIndex((m) => m.id === lastSeenBeforeKill.id) + 1;
    assert.deepEqual(got, expected.slice(from), "every message after sinceId, across the restart");
  });

  test("messages in flight during a SIGKILL: every acknowledged one survives, none twice", { timeout: 60000 }, async () => {
    const res3 = await env.connect(3, "user 3 (streaming)");
    await res3.mustJoin(...ROOM);
    const acked = [];
    const pending = [];
    for (let i = 0; i < 60; i++) {
      const p = res3.socket.timeout(5000).emitWithAck("message:send", { roomType: ROOM[0], roomId: ROOM[1], type: "text", content: `in flight ${i}` })
        .then((a) => { if (a?.ok) acked.push(a.message); }, () => {});
      pending.push(p);
    }
    await pending[20];
    await env.server.stop("SIGKILL");
    await Promise.all(pending.map((p) => Promise.race([p, new Promise((r) => setTimeout(r, 100))])));
    assert.ok(acked.length >= 1, "some messages were acknowledged before the kill");
    await env.restart("SIGKILL");

    const reader = await env.connect(1, "user 1 (after the second restart)");
    await reader.mustJoin(...ROOM);
    const history = await wholeHistory(reader);
    const stream = history.filter((m) => m.content.startsWith("in flight "));
    const byId = new Map(history.map((m) => [m.id, m]));
    for (const m of acked) assert.deepEqual(byId.get(m.id), m, `acknowledged message ${m.id} survives the kill`);
    const contents = stream.map((m) => m.content);
    assert.equal(new Set(contents).size, contents.length, "no message stored twice");
    // What was stored keeps the order sent.
    const indices = contents.map((c) => Number(c.split(" ").at(-1)));
    for (let i = 1; i < indices.length; i++) assert.ok(indices[i] > indices[i - 1], `stored out of send order: ${indices}`);
    // Everything from the earlier tests is still there, unchanged.
    for (const m of expected) assert.deepEqual(byId.get(m.id), m, `message ${m.id} from before survives`);
  });

  test("history after a SIGTERM shutdown equals what was acknowledged", { timeout: 60000 }, async () => {
    const res3 = await env.connect(3, "user 3");
    await res3.mustJoin(...ROOM);
    const sent = [];
    for (let i = 0; i < 10; i++) sent.push(await res3.mustSend(...ROOM, `before the shutdown ${i}`));
    const reader0 = await env.connect(1, "user 1 (before the shutdown)");
    await reader0.mustJoin(...ROOM);
    const beforeShutdown = await wholeHistory(reader0);
    const status = await env.restart("SIGTERM");
    assert.ok(!status.forced, "huddle exits on SIGTERM within 10 s");
    const reader = await env.connect(1, "user 1 (after the shutdown)");
    await reader.mustJoin(...ROOM);
    const after = await wholeHistory(reader);
    assert.deepEqual(after, beforeShutdown, "history after the shutdown = history before");
    assert.deepEqual(after.slice(-10), sent);
  });
});
