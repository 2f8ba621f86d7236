// Chat end-to-end, issue 4 item 7: the message:send rate limit, a token bucket
// per user refilled evenly over the minute — with the default (10/min) a burst
// of 10 passes and the 11th is RATE_LIMITED with nothing stored or broadcast;
// the limit is per user (all of a user's connections share it, other users are
// unaffected); it is configurable (--rate-limit-per-minute); refused attempts
// consume nothing, so the next token arrives on time.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ChatEnv, envTest } from "../lib/chat-env.mjs";
import { assertErrorEvent, assertFailedAck, assertMessageAck } from "../lib/chat-shapes.mjs";

describe("the default limit: 10 per minute", () => {
  let env;
  const test = envTest(it, () => env);
  before(async () => {
    env = await ChatEnv.start({ label: "rate_default", rateLimitPerMinute: null });
  });
  after(async () => {
    await env?.close();
  });

  test("a burst of 10 passes, the 11th is RATE_LIMITED, nothing of it stored or broadcast", { timeout: 20000 }, async () => {
    const res3 = await env.connect(3, "user 3 (sender)");
    const mgr1 = await env.connect(1, "user 1 (watcher)");
    await res3.mustJoin("project", 1);
    await mgr1.mustJoin("project", 1);
    const before = await env.db.countMessages();
    const passed = [];
    for (let i = 1; i <= 10; i++) {
      passed.push(assertMessageAck(await res3.send("project", 1, `burst ${i}`), { content: `burst ${i}` }, `send ${i}`));
    }
    assertFailedAck(await res3.send("project", 1, "burst 11"), "the 11th send", "RATE_LIMITED");
    assert.equal(await env.db.countMessages(), before + 10, "exactly the 10 accepted messages are stored");

    // The watcher gets the 10 and not the 11th: a message from another user is the barrier.
    const barrier = await mgr1.mustSend("project", 1, "barrier from another user");
    await mgr1.next("message:new", (q) => q.message?.id === barrier.id);
    const got = mgr1.all("message:new", (q) => q.message?.senderId === 3).map((q) => q.message.id);
    assert.deepEqual(got, passed.map((m) => m.id), "the watcher saw the 10 accepted messages only");
    assert.equal(mgr1.all("message:new", (q) => q.message?.content === "burst 11").length, 0);
  });

  test("the limit is per user: a user's connections share one bucket, other users are not limited", { timeout: 20000 }, async () => {
    const k1 = await env.connect(4, "user 4 (connection a)");
    const k2 = await env.connect(4, "user 4 (connection b)");
    const mgr2 = await env.connect(2, "user 2");
    for (const c of [k1, k2, mgr2]) await c.mustJoin("project", 2);
    const before = await env.db.countMessages();
    for (let i = 1; i <= 10; i++) await (i % 2 ? k1 : k2).mustSend("project", 2, `shared bucket ${i}`);
    assertFailedAck(await k2.send("project", 2, "shared bucket 11"), "the 11th send over two connections", "RATE_LIMITED");
    assertFailedAck(await k1.send("project", 2, "shared bucket 12"), "the 12th send over two connections", "RATE_LIMITED");
    assertMessageAck(await mgr2.send("project", 2, "user 2 is not limited"), { senderId: 2 }, "another user's send");
    assert.equal(await env.db.countMessages(), before + 11);
  });

  test("without an ack, RATE_LIMITED comes as the error event", { timeout: 20000 }, async () => {
    const res5 = await env.connect(5, "user 5");
    await res5.mustJoin("project", 1);
    let refused = false;
    for (let i = 1; i <= 11 && !refused; i++) refused = !(await res5.send("project", 1, `use up ${i}`)).ok;
    assert.ok(refused, "the 11th send at the latest is refused");
    const before = await env.db.countMessages();
    res5.discard("error");
    res5.emit("message:send", { roomType: "project", roomId: 1, type: "text", content: "over the limit" });
    const code = assertErrorEvent(await res5.next("error"), "error event of a limited send");
    assert.equal(code, "RATE_LIMITED");
    assert.equal(await env.db.countMessages(), before);
  });
});

describe("a configured limit: --rate-limit-per-minute 30", () => {
  let env;
  const test = envTest(it, () => env);
  before(async () => {
    env = await ChatEnv.start({ label: "rate_30", rateLimitPerMinute: 30 });
  });
  after(async () => {
    await env?.close();
  });

  test("a burst of 30 passes and the 31st is refused; refused attempts do not delay the next token", { timeout: 30000 }, async () => {
    const res3 = await env.connect(3);
    await res3.mustJoin("project", 1);
    const before = await env.db.countMessages();
    for (let i = 1; i <= 30; i++) await res3.mustSend("project", 1, `configured burst ${i}`);
    // Twenty refused attempts: if refusals consumed tokens, the next success
    // would be 40 s away (2 s per token); with nothing consumed it is at most 2 s.
    for (let i = 1; i <= 20; i++) {
      assertFailedAck(await res3.send("project", 1, `refused ${i}`), `refused attempt ${i}`, "RATE_LIMITED");
    }
    assert.equal(await env.db.countMessages(), before + 30);
    // Await the refilled token: retry every 250 ms, bounded by 8 s.
    const deadline = Date.now() + 8000;
    let ack;
    let refusals = 0;
    for (;;) {
      ack = await res3.send("project", 1, "after the refill");
      if (ack.ok) break;
      assertFailedAck(ack, "retry while waiting for the refill", "RATE_LIMITED");
      refusals++;
      assert.ok(Date.now() < deadline, `no token refilled within 8 s (${refusals} retries refused)`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assertMessageAck(ack, { content: "after the refill" }, "the send after the refill");
    assert.equal(await env.db.countMessages(), before + 31);
  });
});
