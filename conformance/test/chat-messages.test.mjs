// Chat end-to-end, issue 4 items 5, 7 and 8: message:send (payload shapes of
// message:new and the acks field by field, validation, image/file messages
// refused without a file of the sender (the accepted path is in
// files-e2e.test.mjs), replies, sanitising, what is stored is what is broadcast, the
// clientMessageId retry), errors as `error {message, code}` without an ack,
// and message:read (one read per user, a repeat broadcasts nothing).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ChatEnv, envTest } from "../lib/chat-env.mjs";
import {
  assertErrorEvent, assertFailedAck, assertIsoDateBetween, assertMessage, assertMessageAck, assertMessageEvent,
  assertOkAck, assertReadEvent,
} from "../lib/chat-shapes.mjs";

let env;
const test = envTest(it, () => env);
/** Clients of users 1 (manager), 3 and 5 (researchers), all in project 1; 1 and 3 also in study 1. */
let mgr1;
let res3;
let res5;

before(async () => {
  env = await ChatEnv.start({ label: "messages" });
  mgr1 = await env.connect(1, "user 1");
  res3 = await env.connect(3, "user 3");
  res5 = await env.connect(5, "user 5");
  for (const c of [mgr1, res3, res5]) await c.mustJoin("project", 1);
  for (const c of [mgr1, res3]) await c.mustJoin("study", 1);
});
after(async () => {
  await env?.close();
});

/** The message:new of message `id` at each client, checked against `expect`. */
async function seenByAll(clients, id, expect) {
  const got = [];
  for (const c of clients) {
    const p = await c.next("message:new", (q) => q.message?.id === id);
    got.push(assertMessageEvent(p, expect, `message:new at ${c.label}`));
  }
  return got;
}

describe("message:send (issue 4 item 5)", () => {
  test("message:new reaches everyone in the room, sender included, with the full Message; the ack carries the same", { timeout: 15000 }, async () => {
    const t0 = Date.now();
    const ack = await res3.send("project", 1, "Hello, project 1");
    const t1 = Date.now();
    const expect = {
      roomType: "project", roomId: 1, senderId: 3, type: "text", content: "Hello, project 1",
      fileId: null, fileName: null, fileSize: null, mimeType: null, replyToId: null, editedAt: null, deletedAt: null,
    };
    const m = assertMessageAck(ack, expect, "message:send ack");
    assertIsoDateBetween(m.createdAt, t0, t1, "message.createdAt");
    assertIsoDateBetween(m.updatedAt, t0, t1, "message.updatedAt");
    const seen = await seenByAll([res3, mgr1, res5], m.id, expect);
    for (const s of seen) assert.deepEqual(s, m, "every member sees what the sender was acknowledged");

    const row = await env.db.messageRow(m.id);
    assert.ok(row, `message ${m.id} is stored`);
    assert.equal(row.content, m.content, "stored content = broadcast content");
    assert.equal(Number(row.sender_id), 3);
    assert.equal(Number(row.room_id), 1);
  });

  test("a message sent without an ack is still stored and broadcast", { timeout: 10000 }, async () => {
    const content = `no-ack ${Date.now()}`;
    res3.emit("message:send", { roomType: "project", roomId: 1, content, type: "text" });
    const p = await mgr1.next("message:new", (q) => q.message?.content === content);
    const m = assertMessageEvent(p, { senderId: 3, content }, "message:new");
    await res3.next("message:new", (q) => q.message?.id === m.id);
    assert.equal((await env.db.messageRow(m.id))?.content, content);
  });

  test("only the members of the room receive its messages", { timeout: 10000 }, async () => {
    const m = await res3.mustSend("study", 1, "study 1 only");
    await mgr1.next("message:new", (q) => q.message?.id === m.id);
    const barrier = await res3.mustSend("project", 1, "barrier");
    await res5.next("message:new", (q) => q.message?.id === barrier.id);
    assert.deepEqual(res5.all("message:new", (q) => q.message?.id === m.id), [], "user 5 is not in study 1");
  });

  test("10,000 code points are accepted (astral characters count once) and kept as sent", { timeout: 15000 }, async () => {
    for (const content of ["a".repeat(10000), "\u{1F600}".repeat(10000), `${"é".repeat(9999)}\u{1F4A1}`]) {
      assert.equal([...content].length, 10000);
      const m = assertMessageAck(await res3.send("project", 1, content), { content }, "ack of a 10,000 code point message");
      await mgr1.next("message:new", (q) => q.message?.id === m.id);
      assert.equal((await env.db.messageRow(m.id)).content, content, "stored as sent");
    }
  });

  const P1 = { roomType: "project", roomId: 1, type: "text" };
  const invalid = [
    ["empty content", { ...P1, content: "" }, "CONTENT_EMPTY"],
    ["whitespace-only content", { ...P1, content: " \n\t  \r\n " }, "CONTENT_EMPTY"],
    ["content that is empty once sanitised", { ...P1, content: "<b></b>\u0000 " }, "CONTENT_EMPTY"],
    ["10,001 code points", { ...P1, content: "a".repeat(10001) }, "CONTENT_TOO_LONG"],
    ["10,001 astral code points", { ...P1, content: "\u{1F600}".repeat(10001) }, "CONTENT_TOO_LONG"],
    ["content that is not a string", { ...P1, content: 42 }, "INVALID_PAYLOAD"],
    ["no content", { ...P1 }, ["INVALID_PAYLOAD", "CONTENT_EMPTY"]],
    ["an unknown message type", { ...P1, type: "video", content: "hi" }, "INVALID_PAYLOAD"],
    ["an unknown room type", { ...P1, roomType: "team", content: "hi" }, "INVALID_PAYLOAD"],
    ["a string roomId", { ...P1, roomId: "1", content: "hi" }, "INVALID_PAYLOAD"],
    ["a payload that is not an object", "hello", "INVALID_PAYLOAD"],
    ["type image with a fileId that names no upload", {
      ...P1, type: "image", content: "a picture", fileId: 987654321, fileName: "a.png", fileSize: 10, mimeType: "image/png",
    }, "FILE_NOT_FOUND"],
    ["type file with a fileId that names no upload", {
      ...P1, type: "file", content: "a file", fileId: 987654321, fileName: "a.pdf", fileSize: 10, mimeType: "application/pdf",
    }, "FILE_NOT_FOUND"],
    ["type image without a fileId", { ...P1, type: "image", content: "a picture" }, "FILE_REQUIRED"],
    ["type file without a fileId", { ...P1, type: "file", content: "a file" }, "FILE_REQUIRED"],
    ["a room the user may not access", { ...P1, roomId: 2, content: "hi" }, ["NOT_IN_ROOM", "ROOM_FORBIDDEN"]],
    ["a room the user has access to but has not joined", { ...P1, roomType: "study", roomId: 2, content: "hi" }, "NOT_IN_ROOM"],
    ["an unknown room", { ...P1, roomType: "study", roomId: 99, content: "hi" }, ["NOT_IN_ROOM", "ROOM_NOT_FOUND"]],
    ["a replyToId in another room", "REPLY_OTHER_ROOM", "REPLY_NOT_FOUND"],
    ["a replyToId that does not exist", { ...P1, content: "hi", replyToId: 999999 }, "REPLY_NOT_FOUND"],
    ["a clientMessageId longer than 64 characters", { ...P1, content: "hi", clientMessageId: "x".repeat(65) }, "INVALID_PAYLOAD"],
  ];
  for (const [what, payloadOrTag, code] of invalid) {
    test(`refused with {ok:false, error:{code, message}} and nothing stored: ${what}`, { timeout: 10000 }, async () => {
      let payload = payloadOrTag;
      if (payloadOrTag === "REPLY_OTHER_ROOM") {
        const other = await mgr1.mustSend("study", 1, "a message in study 1");
        payload = { ...P1, content: "reply across rooms", replyToId: other.id };
      }
      const before = await env.db.countMessages();
      const ack = await mgr1.request("message:send", payload);
      assertFailedAck(ack, `message:send with ${what}`, code);
      // A later message shows the refused one was not broadcast either.
      const barrier = await mgr1.mustSend("project", 1, `barrier after ${what}`);
      await res3.next("message:new", (q) => q.message?.id === barrier.id);
      assert.equal(await env.db.countMessages(), before + 1, "only the barrier was stored");
      const leaked = res3.all("message:new", (q) => q.message?.senderId === 1 && q.message?.id < barrier.id &&
        q.message?.content === (typeof payload === "object" ? payload.content : undefined));
      assert.deepEqual(leaked, [], "the refused message must not be broadcast");
    });
  }

  test("a failure without an ack is answered with the error event {message, code}", { timeout: 10000 }, async () => {
    res3.discard("error");
    res3.emit("message:send", { roomType: "project", roomId: 1, type: "text", content: "   " });
    assert.equal(assertErrorEvent(await res3.next("error"), "error after an empty message:send"), "CONTENT_EMPTY");
    res3.emit("message:edit", { messageId: 999999, content: "nothing to edit" });
    assert.equal(assertErrorEvent(await res3.next("error"), "error after message:edit of an unknown message"), "MESSAGE_NOT_FOUND");
  });

  test("a reply carries replyToId and replyTo, the parent message of the same room", { timeout: 10000 }, async () => {
    const parent = await res3.mustSend("project", 1, "the question");
    const ack = await res5.send("project", 1, "the answer", { replyToId: parent.id });
    const reply = assertMessageAck(ack, { replyToId: parent.id, senderId: 5, content: "the answer" }, "reply ack");
    assert.equal(reply.replyTo.id, parent.id);
    assert.equal(reply.replyTo.content, "the question");
    assert.equal(reply.replyTo.senderId, 3);
    const seen = await mgr1.next("message:new", (q) => q.message?.id === reply.id);
    assert.deepEqual(seen.message, reply, "the broadcast reply equals the acknowledged one");
  });
});

describe("sanitising (issue 4 item 7)", () => {
  const cases = [
    ["tags are removed", "<b>bold</b> text", "bold text"],
    ["prose with < and & survives as typed", "1 < 2 & 3", "1 < 2 & 3"],
    ["comparisons survive", "x > 1 && y < 2", "x > 1 && y < 2"],
    ["entities typed as text survive as typed", "AT&amp;T &lt;3", "AT&amp;T &lt;3"],
    ["quotes survive", `"double" and 'single'`, `"double" and 'single'`],
    ["newlines and tabs are kept", "line 1\nline 2\n\tindented", "line 1\nline 2\n\tindented"],
    ["other control characters are removed", "a\u0000b\u0007c\u001bd\u007fe\u0008f", "abcdef"],
    ["an image tag with a handler is removed", `<img src=x onerror="alert(1)">picture`, "picture"],
    ["a link keeps its text, loses its markup", `<a href="javascript:alert(1)">click</a> here`, "click here"],
  ];
  for (const [what, input, expected] of cases) {
    test(`${what}: stored = broadcast = expected`, { timeout: 10000 }, async () => {
      const m = assertMessageAck(await res3.send("project", 1, input), { content: expected }, `ack of ${JSON.stringify(input)}`);
      const seen = await mgr1.next("message:new", (q) => q.message?.id === m.id);
      assert.equal(seen.message.content, expected, "broadcast content");
      assert.equal((await env.db.messageRow(m.id)).content, expected, "stored content");
    });
  }

  test("script elements reach nobody as markup", { timeout: 10000 }, async () => {
    const m = await res3.mustSend("project", 1, "<script>alert('x')</script>after the script");
    const seen = await mgr1.next("message:new", (q) => q.message?.id === m.id);
    assert.ok(!seen.message.content.includes("<"), `no markup may remain: ${JSON.stringify(seen.message.content)}`);
    assert.ok(seen.message.content.endsWith("after the script"), `the text stays: ${JSON.stringify(seen.message.content)}`);
    assert.equal((await env.db.messageRow(m.id)).content, seen.message.content, "stored = broadcast");
  });

  test("an edit is sanitised the same way", { timeout: 10000 }, async () => {
    const m = await res3.mustSend("project", 1, "plain");
    const ack = await res3.request("message:edit", { messageId: m.id, content: "<i>1 < 2</i>\tdone\u0000" });
    assertMessageAck(ack, { id: m.id, content: "1 < 2\tdone" }, "message:edit ack");
    const seen = await mgr1.next("message:edited", (q) => q.message?.id === m.id);
    assert.equal(seen.message.content, "1 < 2\tdone");
    assert.equal((await env.db.messageRow(m.id)).content, "1 < 2\tdone");
  });
});

describe("clientMessageId (issue 4 item 8)", () => {
  test("a resend with the same clientMessageId returns the original and broadcasts nothing new", { timeout: 15000 }, async () => {
    const clientMessageId = `cmid-${process.pid}-${Date.now()}`;
    const before = await env.db.countMessages();
    const first = assertMessageAck(await res3.send("project", 1, "only once", { clientMessageId }), { content: "only once" }, "first send");
    await mgr1.next("message:new", (q) => q.message?.id === first.id);
    const again = assertMessageAck(await res3.send("project", 1, "only once", { clientMessageId }), {}, "resend");
    assert.deepEqual(again, first, "the resend is answered with the original message");
    const changed = assertMessageAck(await res3.send("project", 1, "different text", { clientMessageId }), {}, "resend with other content");
    assert.deepEqual(changed, first, "a resend is answered with the original message, whatever it carries");

    const barrier = await res3.mustSend("project", 1, "barrier after the resends");
    await mgr1.next("message:new", (q) => q.message?.id === barrier.id);
    assert.equal(mgr1.all("message:new", (q) => q.message?.id === first.id).length, 1, "one message:new for the original only");
    assert.equal(mgr1.all("message:new", (q) => q.message?.content === "different text").length, 0);
    assert.equal(await env.db.countMessages(), before + 2, "the original and the barrier");
  });

  test("a resend from another connection of the same user is still the same message", { timeout: 15000 }, async () => {
    const clientMessageId = `reconnect-${process.pid}-${Date.now()}`;
    const first = await res3.mustSend("project", 1, "sent before a reconnect", { clientMessageId });
    const res3b = await env.connect(3, "user 3 (second connection)");
    await res3b.mustJoin("project", 1);
    const again = assertMessageAck(await res3b.send("project", 1, "sent before a reconnect", { clientMessageId }), {}, "resend");
    assert.equal(again.id, first.id);
    res3b.close();
  });

  test("the same clientMessageId from another user is another message; 64 characters are accepted", { timeout: 15000 }, async () => {
    const clientMessageId = "y".repeat(64);
    const a = await res3.mustSend("project", 1, "from user 3", { clientMessageId });
    const e = await res5.mustSend("project", 1, "from user 5", { clientMessageId });
    assert.notEqual(a.id, e.id, "ids are per user");
    assert.equal(e.senderId, 5);
  });
});

describe("message:read (issue 4 item 5)", () => {
  test("a read is broadcast as {messageId, readBy {userId, readAt}}; a repeat changes and broadcasts nothing", { timeout: 15000 }, async () => {
    const m = await res3.mustSend("project", 1, "please read me");
    await res5.next("message:new", (q) => q.message?.id === m.id);
    const t0 = Date.now();
    assertOkAck(await mgr1.request("message:read", { messageId: m.id }), "message:read ack");
    const t1 = Date.now();
    for (const c of [res3, res5]) {
      assertReadEvent(await c.next("message:read", (q) => q.messageId === m.id), m.id, 1, t0, t1, `message:read at ${c.label}`);
    }
    assert.equal(await env.db.countReads(m.id, 1), 1);

    await mgr1.request("message:read", { messageId: m.id });
    const barrier = await mgr1.mustSend("project", 1, "barrier after the repeated read");
    for (const c of [res3, res5]) {
      await c.next("message:new", (q) => q.message?.id === barrier.id);
      assert.equal(c.all("message:read", (q) => q.messageId === m.id).length, 1, `${c.label}: one message:read only`);
    }
    assert.equal(await env.db.countReads(m.id, 1), 1, "still one read stored");
  });

  test("each user's read is its own", { timeout: 15000 }, async () => {
    const m = await mgr1.mustSend("project", 1, "read by two");
    await res3.next("message:new", (q) => q.message?.id === m.id);
    await res3.request("message:read", { messageId: m.id });
    await res5.request("message:read", { messageId: m.id });
    const reads = [];
    reads.push(await mgr1.next("message:read", (q) => q.messageId === m.id && q.readBy?.userId === 3));
    reads.push(await mgr1.next("message:read", (q) => q.messageId === m.id && q.readBy?.userId === 5));
    assert.deepEqual(reads.map((r) => r.readBy.userId), [3, 5]);
  });

  test("reading a message of a room without access, or an unknown message, is refused", { timeout: 15000 }, async () => {
    const res4 = await env.connect(4, "user 4");
    const m = await res3.mustSend("project", 1, "not for user 4");
    assertFailedAck(await res4.request("message:read", { messageId: m.id }), "message:read without access", "MESSAGE_NOT_FOUND");
    assertFailedAck(await res4.request("message:read", { messageId: 999999 }), "message:read of an unknown message", "MESSAGE_NOT_FOUND");
    assert.equal(await env.db.countReads(m.id, 4), 0);
    res4.close();
  });
});

describe("payload shapes in history (issue 4 items 4, 5)", () => {
  test("history after a join carries the same Message objects as the live events", { timeout: 15000 }, async () => {
    const m = await res3.mustSend("study", 1, "to be found in history");
    const late = await env.connect(1, "user 1 (late)");
    const { history } = await late.mustJoin("study", 1);
    const found = history.messages.find((x) => x.id === m.id);
    assert.ok(found, `message ${m.id} in the latest history page`);
    assertMessage(found, {}, "history message");
    assert.deepEqual(found, m, "history = what was acknowledged and broadcast");
    late.close();
  });
});
