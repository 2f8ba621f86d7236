// Chat end-to-end, issue 4 items 5 and 8: message:edit and message:delete —
// who may (the sender, or a manager with access to the room), the 24-hour
// window decided from the stored created_at (back-dated directly in MariaDB,
// no waiting), soft delete with tombstones in history, and no edit or delete
// of a deleted message.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ChatEnv, envTest } from "../lib/chat-env.mjs";
import {
  assertDeletedEvent, assertFailedAck, assertHistory, assertIsoDateBetween, assertMessage, assertMessageAck,
  assertMessageEvent, assertOkAck,
} from "../lib/chat-shapes.mjs";

let env;
const test = envTest(it, () => env);
let mgr1; // manager, project 1 (created) and project 3 (granted)
let mgr2; // manager, project 2 and project 3 (created); no access to project 1
let res3; // researcher, project 1
let res5; // researcher, project 1

before(async () => {
  env = await ChatEnv.start({ label: "editdel" });
  mgr1 = await env.connect(1, "user 1");
  mgr2 = await env.connect(2, "user 2");
  res3 = await env.connect(3, "user 3");
  res5 = await env.connect(5, "user 5");
  for (const c of [mgr1, res3, res5]) await c.mustJoin("project", 1);
  for (const c of [mgr1, mgr2]) await c.mustJoin("project", 3);
});
after(async () => {
  await env?.close();
});

/** Sends as `client` into project 1 and waits until every member has it. */
async function post(client, content, room = ["project", 1]) {
  const m = await client.mustSend(room[0], room[1], content);
  const members = room[0] === "project" && room[1] === 1 ? [mgr1, res3, res5] : [mgr1, mgr2];
  for (const c of members) await c.next("message:new", (q) => q.message?.id === m.id);
  return m;
}

const edit = (client, messageId, content) => client.request("message:edit", { messageId, content });
const del = (client, messageId) => client.request("message:delete", { messageId });

describe("message:edit", () => {
  test("the sender edits: message:edited to everyone with editedAt set, same id and createdAt", { timeout: 15000 }, async () => {
    const m = await post(res3, "first draft");
    const t0 = Date.now();
    const ack = await edit(res3, m.id, "second draft");
    const t1 = Date.now();
    const expect = { id: m.id, content: "second draft", createdAt: m.createdAt, senderId: 3, deletedAt: null, roomType: "project", roomId: 1 };
    const edited = assertMessageAck(ack, expect, "message:edit ack");
    assert.notEqual(edited.editedAt, null, "editedAt is set");
    assertIsoDateBetween(edited.editedAt, t0, t1, "editedAt");
    assert.ok(Date.parse(edited.updatedAt) >= Date.parse(edited.editedAt), "updatedAt follows the edit");
    for (const c of [res3, mgr1, res5]) {
      const p = await c.next("message:edited", (q) => q.message?.id === m.id);
      assert.deepEqual(assertMessageEvent(p, expect, `message:edited at ${c.label}`), edited);
    }
    const row = await env.db.messageRow(m.id);
    assert.equal(row.content, "second draft");
    assert.notEqual(row.edited_at, null, "edited_at stored");
  });

  test("a researcher may not edit someone else's message", { timeout: 10000 }, async () => {
    const m = await post(res3, "mine, not yours");
    assertFailedAck(await edit(res5, m.id, "hijacked"), "edit by another researcher", "EDIT_FORBIDDEN");
    assert.equal((await env.db.messageRow(m.id)).content, "mine, not yours");
    assert.equal((await env.db.messageRow(m.id)).edited_at, null);
  });

  test("a manager with access to the room may edit a researcher's message", { timeout: 10000 }, async () => {
    const m = await post(res3, "needs moderation");
    const edited = assertMessageAck(await edit(mgr1, m.id, "moderated"), { id: m.id, senderId: 3, content: "moderated" }, "manager edit");
    assert.notEqual(edited.editedAt, null);
    await res3.next("message:edited", (q) => q.message?.id === m.id);
  });

  test("a manager without access to the room may not edit", { timeout: 10000 }, async () => {
    const m = await post(res3, "project 1 business");
    assertFailedAck(await edit(mgr2, m.id, "from outside"), "edit by a manager without access", "MESSAGE_NOT_FOUND");
    assert.equal((await env.db.messageRow(m.id)).content, "project 1 business");
  });

  test("a granted manager may edit in the granted project", { timeout: 10000 }, async () => {
    const m = await post(mgr2, "project 3 note", ["project", 3]);
    assertMessageAck(await edit(mgr1, m.id, "project 3 note, corrected"), { id: m.id, senderId: 2 }, "edit by the granted manager");
  });

  test("an edit is validated like a message", { timeout: 10000 }, async () => {
    const m = await post(res3, "valid");
    const invalid = [
      ["empty", "", "CONTENT_EMPTY"],
      ["whitespace-only", " \t\n", "CONTENT_EMPTY"],
      ["10,001 code points", "b".repeat(10001), "CONTENT_TOO_LONG"],
      ["not a string", 7, "INVALID_PAYLOAD"],
    ];
    for (const [what, content, code] of invalid) {
      assertFailedAck(await edit(res3, m.id, content), `edit to ${what} content`, code);
    }
    assert.equal((await env.db.messageRow(m.id)).content, "valid");
    assertFailedAck(await edit(res3, 999999, "nothing there"), "edit of an unknown message", "MESSAGE_NOT_FOUND");
  });
});

describe("message:delete", () => {
  test("the sender deletes: message:deleted {messageId, roomType, roomId}; the row stays, soft-deleted", { timeout: 15000 }, async () => {
    const m = await post(res5, "regrettable");
    assertOkAck(await del(res5, m.id), "message:delete ack");
    for (const c of [res5, mgr1, res3]) {
      assertDeletedEvent(await c.next("message:deleted", (q) => q.messageId === m.id), m.id, "project", 1, `message:deleted at ${c.label}`);
    }
    const row = await env.db.messageRow(m.id);
    assert.ok(row, "a delete is soft: the row is kept");
    assert.notEqual(row.deleted_at, null, "deleted_at stored");
  });

  test("history shows a deleted message as a tombstone", { timeout: 15000 }, async () => {
    const m = await post(res5, "soon gone");
    await del(res5, m.id);
    await mgr1.next("message:deleted", (q) => q.messageId === m.id);
    const viewer = await env.connect(3, "user 3 (history)");
    const { history } = await viewer.mustJoin("project", 1);
    assertHistory(history, "project", 1);
    const t = history.messages.find((x) => x.id === m.id);
    assert.ok(t, "the deleted message stays in history");
    assertMessage(t, {
      id: m.id, senderId: 5, content: "", fileId: null, fileName: null, fileSize: null, mimeType: null,
      createdAt: m.createdAt,
    }, "tombstone");
    assert.notEqual(t.deletedAt, null, "tombstone deletedAt");
    viewer.close();
  });

  test("a deleted message can be neither edited nor deleted again", { timeout: 15000 }, async () => {
    const m = await post(res3, "final words");
    await del(res3, m.id);
    await mgr1.next("message:deleted", (q) => q.messageId === m.id);
    assertFailedAck(await edit(res3, m.id, "resurrected"), "edit of a deleted message", "MESSAGE_DELETED");
    assertFailedAck(await edit(mgr1, m.id, "resurrected by a manager"), "manager edit of a deleted message", "MESSAGE_DELETED");
    assertFailedAck(await del(res3, m.id), "second delete", "MESSAGE_DELETED");
    const barrier = await post(res3, "barrier");
    assert.equal(mgr1.all("message:deleted", (q) => q.messageId === m.id).length, 1, "one message:deleted only");
    assert.equal(mgr1.all("message:edited", (q) => q.message?.id === m.id).length, 0, "no message:edited after delete");
    assert.ok(barrier.id > m.id);
    const row = await env.db.messageRow(m.id);
    assert.ok(row && row.deleted_at !== null, "the row is kept, soft-deleted");
    assert.equal(row.edited_at, null, "the refused edits changed nothing");
  });

  test("researchers may not delete others' messages; managers without access may not either", { timeout: 15000 }, async () => {
    const m = await post(res3, "keep me");
    assertFailedAck(await del(res5, m.id), "delete by another researcher", "EDIT_FORBIDDEN");
    assertFailedAck(await del(mgr2, m.id), "delete by a manager without access", "MESSAGE_NOT_FOUND");
    assert.equal((await env.db.messageRow(m.id)).deleted_at, null);
    assertFailedAck(await del(res3, 999999), "delete of an unknown message", "MESSAGE_NOT_FOUND");
  });

  test("a manager with access may delete a researcher's message", { timeout: 15000 }, async () => {
    const m = await post(res3, "off topic");
    assertOkAck(await del(mgr1, m.id), "manager delete");
    assertDeletedEvent(await res3.next("message:deleted", (q) => q.messageId === m.id), m.id, "project", 1);
  });

  test("a granted manager may delete the creator's message in the granted project", { timeout: 15000 }, async () => {
    const m = await post(mgr2, "project 3 scratch", ["project", 3]);
    assertOkAck(await del(mgr1, m.id), "delete by the granted manager");
    assertDeletedEvent(await mgr2.next("message:deleted", (q) => q.messageId === m.id), m.id, "project", 3);
  });
});

describe("the 24-hour window, from the stored created_at", () => {
  test("25 hours old: neither the sender nor a manager may edit or delete", { timeout: 15000 }, async () => {
    const m = await post(res3, "old news");
    await env.db.backdate(m.id, 25);
    assertFailedAck(await edit(res3, m.id, "too late"), "sender edit after 24 h", "EDIT_WINDOW_EXPIRED");
    assertFailedAck(await del(res3, m.id), "sender delete after 24 h", "EDIT_WINDOW_EXPIRED");
    assertFailedAck(await edit(mgr1, m.id, "too late"), "manager edit after 24 h", "EDIT_WINDOW_EXPIRED");
    assertFailedAck(await del(mgr1, m.id), "manager delete after 24 h", "EDIT_WINDOW_EXPIRED");
    const row = await env.db.messageRow(m.id);
    assert.equal(row.content, "old news");
    assert.equal(row.edited_at, null);
    assert.equal(row.deleted_at, null);
    await post(res3, "barrier");
    assert.equal(mgr1.all("message:edited", (q) => q.message?.id === m.id).length, 0);
    assert.equal(mgr1.all("message:deleted", (q) => q.messageId === m.id).length, 0);
  });

  test("23 hours old: the sender may still edit and delete", { timeout: 15000 }, async () => {
    const m = await post(res3, "yesterday's");
    await env.db.backdate(m.id, 23);
    const edited = assertMessageAck(await edit(res3, m.id, "yesterday's, amended"), { id: m.id }, "edit at 23 h");
    assert.ok(Date.parse(edited.createdAt) < Date.now() - 22 * 3600 * 1000,
      `the message carries its stored created_at (${edited.createdAt})`);
    assertOkAck(await del(res3, m.id), "delete at 23 h");
    await mgr1.next("message:deleted", (q) => q.messageId === m.id);
  });

  test("23 hours old: a manager with access may still delete", { timeout: 15000 }, async () => {
    const m = await post(res5, "moderate me");
    await env.db.backdate(m.id, 23);
    assertOkAck(await del(mgr1, m.id), "manager delete at 23 h");
    await res5.next("message:deleted", (q) => q.messageId === m.id);
  });
});
