// Chat end-to-end, issue 4 item 6: typing indicators — typing:start/stop
// broadcast typing:started {roomType, roomId, user} / typing:stopped
// {roomType, roomId, userId} to the others in the room only; a repeated start
// within 3 s extends the timer without a new typing:started; a start not
// renewed within 3 s stops by itself; a leave or a disconnect stops it.
//
// The server's 3 s timer is not injectable from outside, so these tests await
// its event with a bound and check it against the times they sent at: the
// server cannot stop a renewed indicator earlier than 3 s after the renewal
// was sent, however loaded the machine is.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inRoom } from "../lib/chat-client.mjs";
import { ChatEnv, envTest } from "../lib/chat-env.mjs";
import { assertTypingStarted, assertTypingStopped } from "../lib/chat-shapes.mjs";

let env;
const test = envTest(it, () => env);
let mgr1; // user 1: project 1 and study 1
let res3; // user 3: project 1 and study 1
let res5; // user 5: project 1 only

const TYPING_MS = 3000;
/** Timer granularity allowance when checking "not earlier than 3 s". */
const EARLY_MS = 50;
/** Bound on awaiting an automatic stop (3 s plus slack for a loaded machine). */
const AUTO_STOP_WAIT_MS = 6000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const typing = (client, event, roomType, roomId) => client.emit(event, { roomType, roomId });
const byUser = (roomType, roomId, userId) => (p) =>
  inRoom(roomType, roomId)(p) && (p.user?.id === userId || p.userId === userId);

before(async () => {
  env = await ChatEnv.start({ label: "typing" });
  mgr1 = await env.connect(1, "user 1");
  res3 = await env.connect(3, "user 3");
  res5 = await env.connect(5, "user 5");
  for (const c of [mgr1, res3, res5]) await c.mustJoin("project", 1);
  for (const c of [mgr1, res3]) await c.mustJoin("study", 1);
});
after(async () => {
  await env?.close();
});

describe("typing indicators", () => {
  test("start and stop reach the others in the room, not the typer, not other rooms", { timeout: 15000 }, async () => {
    typing(res3, "typing:start", "study", 1);
    assertTypingStarted(await mgr1.next("typing:started", byUser("study", 1, 3)), "study", 1, 3);
    typing(res3, "typing:stop", "study", 1);
    assertTypingStopped(await mgr1.next("typing:stopped", byUser("study", 1, 3)), "study", 1, 3);

    // Barriers: a message in study 1 (seen by the typer) and one in project 1 (seen by user 5).
    const b1 = await res3.mustSend("study", 1, "typing barrier");
    await res3.next("message:new", (q) => q.message?.id === b1.id);
    assert.deepEqual(res3.all("typing:started"), [], "the typer gets no typing:started of its own");
    assert.deepEqual(res3.all("typing:stopped"), [], "the typer gets no typing:stopped of its own");
    const b2 = await res3.mustSend("project", 1, "typing barrier");
    await res5.next("message:new", (q) => q.message?.id === b2.id);
    assert.deepEqual(res5.all("typing:started"), [], "user 5 is not in study 1");
    assert.deepEqual(res5.all("typing:stopped"), [], "user 5 is not in study 1");
  });

  test("a start not renewed stops by itself after 3 s", { timeout: 15000 }, async () => {
    const sentAt = Date.now();
    typing(res3, "typing:start", "study", 1);
    await mgr1.next("typing:started", byUser("study", 1, 3));
    const rec = await mgr1.nextRecord("typing:stopped", byUser("study", 1, 3), AUTO_STOP_WAIT_MS);
    assertTypingStopped(rec.payload, "study", 1, 3);
    const elapsed = rec.at - sentAt;
    assert.ok(elapsed >= TYPING_MS - EARLY_MS, `stopped ${elapsed} ms after the start, before the 3 s`);
  });

  test("a repeated start within 3 s extends the timer without a new typing:started", { timeout: 20000 }, async () => {
    const startedBefore = mgr1.records("typing:started", byUser("study", 1, 3)).length;
    typing(res3, "typing:start", "study", 1);
    await mgr1.next("typing:started", byUser("study", 1, 3));
    await sleep(2000); // the renewal under test comes 2 s into the 3 s
    const renewedAt = Date.now();
    typing(res3, "typing:start", "study", 1);
    const rec = await mgr1.nextRecord("typing:stopped", byUser("study", 1, 3), AUTO_STOP_WAIT_MS + 2000);
    assertTypingStopped(rec.payload, "study", 1, 3);
    const sinceRenewal = rec.at - renewedAt;
    assert.ok(sinceRenewal >= TYPING_MS - EARLY_MS,
      `stopped ${sinceRenewal} ms after the renewal: the renewal did not extend the timer`);
    assert.equal(mgr1.records("typing:started", byUser("study", 1, 3)).length, startedBefore + 1,
      "one typing:started for a start and its renewal");
  });

  test("a start after a stop is a new typing:started", { timeout: 15000 }, async () => {
    typing(res3, "typing:start", "study", 1);
    await mgr1.next("typing:started", byUser("study", 1, 3));
    typing(res3, "typing:stop", "study", 1);
    await mgr1.next("typing:stopped", byUser("study", 1, 3));
    typing(res3, "typing:start", "study", 1);
    assertTypingStarted(await mgr1.next("typing:started", byUser("study", 1, 3)), "study", 1, 3);
    typing(res3, "typing:stop", "study", 1);
    await mgr1.next("typing:stopped", byUser("study", 1, 3));
  });

  test("leaving the room stops the indicator", { timeout: 15000 }, async () => {
    const sentAt = Date.now();
    typing(res3, "typing:start", "study", 1);
    await mgr1.next("typing:started", byUser("study", 1, 3));
    res3.emit("room:leave", { type: "study", id: 1 });
    await res3.next("room:left", inRoom("study", 1));
    try {
      const barrier = await res3.mustSend("project", 1, "barrier after the leave");
      const barrierRec = await mgr1.nextRecord("message:new", (q) => q.message?.id === barrier.id);
      const rec = await mgr1.nextRecord("typing:stopped", byUser("study", 1, 3), AUTO_STOP_WAIT_MS);
      assertTypingStopped(rec.payload, "study", 1, 3);
      // Either proof that the leave (not the 3 s timer) stopped it will do.
      const beforeBarrier = rec.seq < barrierRec.seq;
      const beforeTimer = rec.at - sentAt < TYPING_MS;
      assert.ok(beforeBarrier || beforeTimer,
        `typing:stopped came ${rec.at - sentAt} ms after the start and after a later message: the leave did not stop it`);
    } finally {
      await res3.mustJoin("study", 1); // the later tests need user 3 back in study 1
    }
  });

  test("disconnecting stops the indicator", { timeout: 20000 }, async () => {
    const typer = await env.connect(5, "user 5 (disconnecting)");
    await typer.mustJoin("project", 1);
    const sentAt = Date.now();
    typing(typer, "typing:start", "project", 1);
    await mgr1.next("typing:started", byUser("project", 1, 5));
    // The other connection of user 5 leaves project 1 so that only the typer's presence counts.
    res5.emit("room:leave", { type: "project", id: 1 });
    await res5.next("room:left", inRoom("project", 1));
    try {
      await disconnectStops(typer, sentAt);
    } finally {
      await res5.mustJoin("project", 1); // the later tests need user 5 back in project 1
    }
  });

  /** Closes `typer` (typing in project 1 since sentAt) and checks its indicator stops because of it. */
  async function disconnectStops(typer, sentAt) {
    typer.close();

    // Probe until the server has seen the disconnect (user 5 no longer counted in project 1).
    const probe = await env.connect(3, "user 3 (probe)");
    const deadline = Date.now() + 5000;
    for (;;) {
      const { joined } = await probe.mustJoin("project", 1);
      if (joined.memberCount === 2) break; // users 1 and 3
      assert.ok(Date.now() < deadline, `user 5 still counted in project 1 after the disconnect (memberCount ${joined.memberCount})`);
      probe.emit("room:leave", { type: "project", id: 1 });
      await probe.next("room:left", inRoom("project", 1));
      await sleep(100);
    }
    const barrier = await probe.mustSend("project", 1, "barrier after the disconnect");
    const barrierRec = await mgr1.nextRecord("message:new", (q) => q.message?.id === barrier.id);
    const rec = await mgr1.nextRecord("typing:stopped", byUser("project", 1, 5), AUTO_STOP_WAIT_MS);
    assertTypingStopped(rec.payload, "project", 1, 5);
    const beforeBarrier = rec.seq < barrierRec.seq;
    const beforeTimer = rec.at - sentAt < TYPING_MS;
    assert.ok(beforeBarrier || beforeTimer,
      `typing:stopped came ${rec.at - sentAt} ms after the start and after a later message: the disconnect did not stop it`);
    probe.close();
  }

  test("typing in a room the user is not in reaches nobody", { timeout: 15000 }, async () => {
    typing(res5, "typing:start", "study", 1);
    const barrier = await res5.mustSend("project", 1, "barrier after typing elsewhere");
    await mgr1.next("message:new", (q) => q.message?.id === barrier.id);
    assert.deepEqual(mgr1.all("typing:started", byUser("study", 1, 5)), [], "user 5 may not type into study 1");
  });
});
