// Chat end-to-end, issue 4 items 3 and 4: the JWT handshake (auth:success, and
// CONNECT_ERROR with data.code for every bad token), then the room access table
// for every demo user against every project and study room plus unknown rooms,
// memberCount as distinct users, room:left, and a refused join being no join.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { inRoom } from "../lib/chat-client.mjs";
import { ChatEnv, envTest } from "../lib/chat-env.mjs";
import { ACCESS_ROOMS, DEMO_ACCESS, DEMO_USERS, craftToken, mintToken, nowSeconds } from "../lib/chat-harness.mjs";
import {
  ERROR_CODE, assertErrorEvent, assertFailedAck, assertHistory, assertJoined, assertKeys, assertLeft,
  assertMessageEvent, assertOkAck, assertRoomError,
} from "../lib/chat-shapes.mjs";

let env;
const test = envTest(it, () => env);

before(async () => {
  env = await ChatEnv.start({ label: "access" });
});
after(async () => {
  await env?.close();
});

describe("authentication (issue 4 item 3)", () => {
  test("every demo user gets auth:success {userId, userRole} from storage", { timeout: 30000 }, async () => {
    for (const id of [1, 2, 3, 4, 5]) {
      const c = await env.connect(id);
      assertKeys(c.auth, ["userId", "userRole"], [], `auth:success of user ${id}`);
      assert.deepEqual(c.auth, { userId: id, userRole: DEMO_USERS[id].role }, `auth:success of user ${id}`);
      c.close();
    }
  });

  test("sub may be a string (as JWT prescribes) or a number", { timeout: 10000 }, async () => {
    const exp = nowSeconds() + 600;
    for (const sub of ["3", 3]) {
      const token = craftToken({ sub, exp }, env.jwtSecret);
      const { client, connectError } = await env.tryConnect({ token }, `sub ${JSON.stringify(sub)}`);
      assert.equal(connectError, undefined, `sub ${JSON.stringify(sub)} refused: ${connectError?.message}`);
      const ok = await client.next("auth:success");
      assert.deepEqual(ok, { userId: 3, userRole: "researcher" });
      client.close();
    }
  });

  test("a token minted already expired (huddle token --ttl=-1h) is refused with AUTH_EXPIRED", { timeout: 10000 }, async () => {
    const token = await mintToken(1, env.jwtSecret, { ttl: "-1h" });
    const { connectError } = await env.tryConnect({ token }, "expired by --ttl");
    assert.ok(connectError, "the expired token was accepted");
    assert.equal(connectError.data?.code, "AUTH_EXPIRED", `connect_error ${connectError.message} ${JSON.stringify(connectError.data)}`);
  });

  const exp = () => nowSeconds() + 600;
  const badHandshakes = [
    ["no auth payload at all", () => undefined, "AUTH_REQUIRED"],
    ["auth without a token", () => ({}), "AUTH_REQUIRED"],
    ["a token that is not a string", () => ({ token: 12345 }), "AUTH_REQUIRED"],
    ["an empty token", () => ({ token: "" }), "AUTH_REQUIRED"],
    ["a malformed token", () => ({ token: "not-a-jwt" }), "AUTH_INVALID"],
    ["a token signed with another secret", () => ({ token: craftToken({ sub: "1", exp: exp() }, "some-other-secret") }), "AUTH_INVALID"],
    ["an unsigned token (alg: none)", () => ({ token: craftToken({ sub: "1", exp: exp() }, "", { alg: "none" }) }), "AUTH_INVALID"],
    ["an expired token", () => ({ token: craftToken({ sub: "1", exp: nowSeconds() - 3600 }, env.jwtSecret) }), "AUTH_EXPIRED"],
    ["a token without exp", () => ({ token: craftToken({ sub: "1" }, env.jwtSecret) }), "AUTH_INVALID"],
    ["a token of an unknown user", () => ({ token: craftToken({ sub: "99", exp: exp() }, env.jwtSecret) }), "USER_NOT_FOUND"],
    ["a token whose sub is not a user id", () => ({ token: craftToken({ sub: "mgr1", exp: exp() }, env.jwtSecret) }), "AUTH_INVALID"],
  ];
  for (const [what, auth, code] of badHandshakes) {
    test(`${what} is refused with CONNECT_ERROR {message, data.code}`, { timeout: 10000 }, async () => {
      const { client, connectError } = await env.tryConnect(auth(), what);
      assert.ok(connectError, `${what}: the handshake was accepted`);
      assert.equal(typeof connectError.message, "string");
      assert.ok(connectError.message.length > 0, "connect_error message must not be empty");
      assert.ok(connectError.data && typeof connectError.data === "object", `connect_error data: ${JSON.stringify(connectError.data)}`);
      assert.match(String(connectError.data.code), ERROR_CODE, "connect_error data.code");
      assert.equal(connectError.data.code, code, "connect_error data.code");
      assert.equal(client.all("auth:success").length, 0, "no auth:success after a refused handshake");
      assert.equal(client.connected, false);
    });
  }
});

describe("rooms (issue 4 item 4)", () => {
  test("memberCount counts distinct users present", { timeout: 20000 }, async () => {
    // Study 4 is open to users 1 (granted project 3) and 2 (creator of project 3).
    const a1 = await env.connect(1, "user 1 (a)");
    const a2 = await env.connect(1, "user 1 (b)");
    const b = await env.connect(2);
    let r = await a1.mustJoin("study", 4);
    assertJoined(r.joined, "study", 4);
    assert.equal(r.joined.memberCount, 1, "first user in the room");
    assertHistory(r.history, "study", 4, "history after join");
    r = await a2.mustJoin("study", 4);
    assert.equal(r.joined.memberCount, 1, "a second connection of the same user is not a second member");
    r = await b.mustJoin("study", 4);
    assert.equal(r.joined.memberCount, 2, "a second user");

    b.emit("room:leave", { type: "study", id: 4 });
    assertLeft(await b.next("room:left", inRoom("study", 4)), "study", 4);
    r = await b.mustJoin("study", 4);
    assert.equal(r.joined.memberCount, 2, "leave then join again counts the user once");
    for (const c of [a1, a2, b]) c.close();
  });

  // The access table: every demo user against every room (and unknown ones).
  for (const userId of [1, 2, 3, 4, 5]) {
    describe(`user ${userId} (${DEMO_USERS[userId].role})`, () => {
      let client;
      before(async () => {
        client = await env.connect(userId);
      });
      after(() => client?.close());
      for (const [type, id] of ACCESS_ROOMS) {
        const allowed = DEMO_ACCESS[userId][type].includes(id);
        test(`${type} ${id}: ${allowed ? "room:joined + message:history" : "room:error"}`, { timeout: 10000 }, async () => {
          const r = await client.joinWithAck(type, id);
          if (allowed) {
            assert.ok(!r.error, `user ${userId} must be allowed into ${type} ${id}, got room:error ${JSON.stringify(r.error)}`);
            assertJoined(r.joined, type, id);
            assertHistory(r.history, type, id);
            assertOkAck(r.ack, "room:join ack");
          } else {
            assert.ok(r.error, `user ${userId} must be refused ${type} ${id}, got room:joined ${JSON.stringify(r.joined)}`);
            assertRoomError(r.error, type, id);
            assertFailedAck(r.ack, "room:join ack", id === 99 ? "ROOM_NOT_FOUND" : "ROOM_FORBIDDEN");
            assert.equal(client.all("message:history", inRoom(type, id)).length, 0, "no history for a refused room");
          }
        });
      }
    });
  }

  test("a refused join is no join: no messages of that room, sending there fails", { timeout: 20000 }, async () => {
    const outsider = await env.connect(5, "user 5"); // project 1 only
    const member = await env.connect(3, "user 3"); // project 1 and study 1
    await outsider.mustJoin("project", 1);
    await member.mustJoin("project", 1);
    await member.mustJoin("study", 1);
    const refused = await outsider.join("study", 1);
    assertRoomError(refused.error, "study", 1);

    const ack = await outsider.send("study", 1, "may I?");
    assertFailedAck(ack, "message:send into a refused room", ["NOT_IN_ROOM", "ROOM_FORBIDDEN"]);

    await member.mustSend("study", 1, "study-only message");
    const barrier = await member.mustSend("project", 1, "barrier after the study message");
    const seen = await outsider.next("message:new", (p) => p.message?.id === barrier.id);
    assertMessageEvent(seen, { id: barrier.id });
    assert.deepEqual(outsider.all("message:new", (p) => p.message?.roomType === "study"), [],
      "the refused user must not receive study 1 messages");
    outsider.close();
    member.close();
  });

  test("room:leave answers room:left and stops the room's messages", { timeout: 20000 }, async () => {
    const leaver = await env.connect(1, "user 1");
    const sender = await env.connect(3, "user 3");
    for (const c of [leaver, sender]) {
      await c.mustJoin("project", 1);
      await c.mustJoin("study", 1);
    }
    leaver.emit("room:leave", { type: "project", id: 1 });
    assertLeft(await leaver.next("room:left", inRoom("project", 1)), "project", 1);

    const gone = await sender.mustSend("project", 1, "after the leave");
    const barrier = await sender.mustSend("study", 1, "barrier in the room still joined");
    await leaver.next("message:new", (p) => p.message?.id === barrier.id);
    assert.deepEqual(leaver.all("message:new", (p) => p.message?.id === gone.id), [],
      "a user who left must not receive the room's messages");
    assertFailedAck(await leaver.send("project", 1, "not in the room any more"), "message:send after room:leave", "NOT_IN_ROOM");
    leaver.close();
    sender.close();
  });

  const badJoins = [
    ["an unknown room type", { type: "team", id: 1 }],
    ["a string id", { type: "project", id: "1" }],
    ["a missing id", { type: "project" }],
    ["a negative id", { type: "project", id: -1 }],
    ["a fractional id", { type: "project", id: 1.5 }],
    ["a payload that is not an object", "project:1"],
  ];
  for (const [what, payload] of badJoins) {
    test(`room:join with ${what} gets an error, never a join`, { timeout: 10000 }, async () => {
      const c = await env.connect(1, `user 1 (${what})`);
      c.emit("room:join", payload);
      const rec = await c.nextRecord(["room:error", "error", "room:joined"]);
      assert.notEqual(rec.event, "room:joined", `room:join ${JSON.stringify(payload)} was accepted: ${JSON.stringify(rec.payload)}`);
      if (rec.event === "error") {
        assert.equal(assertErrorEvent(rec.payload, `error after room:join ${JSON.stringify(payload)}`), "INVALID_PAYLOAD");
      } else {
        assertKeys(rec.payload, ["message", "roomType", "roomId"], [], "room:error");
        assert.ok(typeof rec.payload.message === "string" && rec.payload.message.length > 0, "room:error.message");
      }
      c.close();
    });
  }
});
