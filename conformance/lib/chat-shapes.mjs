// Field-by-field checks of the chat payloads (spec "Event Definitions" and the
// Message model; issue 4 items 3-7): exact key sets, JSON types, values, and
// ISO-8601 dates. Each check names the payload and field it is looking at, so
// a failure reads as "message:new.message.createdAt: ...".

import assert from "node:assert/strict";
import { DEMO_USERS } from "./chat-harness.mjs";

/** The spec's Message model fields (relations apart). */
export const MESSAGE_FIELDS = Object.freeze([
  "id", "roomType", "roomId", "senderId", "type", "content",
  "fileId", "fileName", "fileSize", "mimeType", "replyToId",
  "editedAt", "deletedAt", "createdAt", "updatedAt",
]);

/** Relations the spec allows on a Message. */
const MESSAGE_RELATIONS = Object.freeze(["sender", "replyTo", "file"]);

/** Error codes are UPPER_SNAKE_CASE identifiers from the server's documented list. */
export const ERROR_CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function assertKeys(obj, required, optional, what) {
  assert.ok(obj !== null && typeof obj === "object" && !Array.isArray(obj), `${what}: expected an object, got ${JSON.stringify(obj)}`);
  for (const k of required) assert.ok(Object.hasOwn(obj, k), `${what}: missing field "${k}" in ${JSON.stringify(obj)}`);
  const allowed = new Set([...required, ...optional]);
  const extra = Object.keys(obj).filter((k) => !allowed.has(k));
  assert.deepEqual(extra, [], `${what}: unexpected field(s) ${extra.join(", ")} in ${JSON.stringify(obj)}`);
}

/** A positive integer id (a JSON number, not a string). */
export function assertId(v, what) {
  assert.ok(Number.isSafeInteger(v) && v > 0, `${what}: expected a positive integer, got ${JSON.stringify(v)}`);
}

/** An ISO-8601 date-time string with a zone; resolves to epoch ms. */
export function assertIsoDate(v, what) {
  assert.equal(typeof v, "string", `${what}: expected an ISO-8601 string, got ${JSON.stringify(v)}`);
  assert.match(v, ISO_8601, `${what}: not an ISO-8601 date-time with zone: ${v}`);
  const ms = Date.parse(v);
  assert.ok(Number.isFinite(ms), `${what}: unparsable date ${v}`);
  return ms;
}

/**
 * An ISO date within [fromMs, toMs], widened by 2 s on each side (the store
 * may keep whole seconds or milliseconds; both clocks are this machine's).
 */
export function assertIsoDateBetween(v, fromMs, toMs, what) {
  const ms = assertIsoDate(v, what);
  const slack = 2000;
  assert.ok(ms >= fromMs - slack && ms <= toMs + slack,
    `${what}: ${v} is not between ${new Date(fromMs).toISOString()} and ${new Date(toMs).toISOString()}`);
  return ms;
}

function assertNullableIso(v, what) {
  if (v !== null) assertIsoDate(v, what);
}

/** `sender {id, firstName, lastName}` of demo user `id`. */
export function assertSender(sender, id, what) {
  assertKeys(sender, ["id", "firstName", "lastName"], [], what);
  const u = DEMO_USERS[id];
  assert.ok(u, `${what}: senderId ${id} is not a demo user`);
  assert.deepEqual(sender, { id: u.id, firstName: u.firstName, lastName: u.lastName }, `${what}: sender of user ${id}`);
}

/** The Message model fields only, with the spec's types (no relations). */
function assertMessageCore(m, what) {
  assertId(m.id, `${what}.id`);
  assert.ok(m.roomType === "project" || m.roomType === "study", `${what}.roomType: ${JSON.stringify(m.roomType)}`);
  assertId(m.roomId, `${what}.roomId`);
  assertId(m.senderId, `${what}.senderId`);
  assert.ok(["text", "image", "file"].includes(m.type), `${what}.type: ${JSON.stringify(m.type)}`);
  assert.equal(typeof m.content, "string", `${what}.content must be a string`);
  if (m.fileId !== null) assertId(m.fileId, `${what}.fileId`);
  assert.ok(m.fileName === null || typeof m.fileName === "string", `${what}.fileName: ${JSON.stringify(m.fileName)}`);
  assert.ok(m.fileSize === null || (Number.isSafeInteger(m.fileSize) && m.fileSize >= 0), `${what}.fileSize: ${JSON.stringify(m.fileSize)}`);
  assert.ok(m.mimeType === null || typeof m.mimeType === "string", `${what}.mimeType: ${JSON.stringify(m.mimeType)}`);
  if (m.replyToId !== null) assertId(m.replyToId, `${what}.replyToId`);
  assertNullableIso(m.editedAt, `${what}.editedAt`);
  assertNullableIso(m.deletedAt, `${what}.deletedAt`);
  const created = assertIsoDate(m.createdAt, `${what}.createdAt`);
  const updated = assertIsoDate(m.updatedAt, `${what}.updatedAt`);
  assert.ok(updated >= created, `${what}: updatedAt ${m.updatedAt} before createdAt ${m.createdAt}`);
  if (m.editedAt !== null) {
    assert.ok(Date.parse(m.editedAt) >= created, `${what}: editedAt ${m.editedAt} before createdAt ${m.createdAt}`);
  }
  if (m.deletedAt !== null) {
    assert.ok(Date.parse(m.deletedAt) >= created, `${what}: deletedAt ${m.deletedAt} before createdAt ${m.createdAt}`);
    // A tombstone (issue 4 item 5): content "" and every file field null.
    assert.equal(m.content, "", `${what}: a deleted message must carry content ""`);
    for (const f of ["fileId", "fileName", "fileSize", "mimeType"]) {
      assert.equal(m[f], null, `${what}.${f}: a deleted message must carry null`);
    }
  }
}

/**
 * The `file` relation (issue 5 item 2): null (or absent) for a text message or a
 * tombstone, else exactly {id, fileName, fileSize, mimeType} equal to the
 * message's own file fields, which come from the stored upload.
 */
function assertFileRelation(m, what) {
  const hasFile = m.type !== "text" && m.deletedAt === null;
  if (!hasFile) {
    assert.ok(!Object.hasOwn(m, "file") || m.file === null, `${what}.file: expected null for ${m.type}${m.deletedAt ? " (deleted)" : ""}`);
    if (m.deletedAt === null) {
      for (const f of ["fileId", "fileName", "fileSize", "mimeType"]) {
        assert.equal(m[f], null, `${what}.${f}: a text message carries no file`);
      }
    }
    return;
  }
  assertId(m.fileId, `${what}.fileId`);
  assert.equal(typeof m.fileName, "string", `${what}.fileName`);
  assert.ok(Number.isSafeInteger(m.fileSize) && m.fileSize >= 0, `${what}.fileSize: ${JSON.stringify(m.fileSize)}`);
  assert.equal(typeof m.mimeType, "string", `${what}.mimeType`);
  assert.ok(Object.hasOwn(m, "file") && m.file !== null, `${what}.file: a ${m.type} message carries its file`);
  assertKeys(m.file, ["id", "fileName", "fileSize", "mimeType"], [], `${what}.file`);
  assert.deepEqual(
    m.file,
    { id: m.fileId, fileName: m.fileName, fileSize: m.fileSize, mimeType: m.mimeType },
    `${what}.file must equal the message's file fields`,
  );
  if (m.type === "image") {
    assert.ok(["image/jpeg", "image/png", "image/gif", "image/webp"].includes(m.mimeType), `${what}.mimeType: an image is ${m.mimeType}`);
  }
}

/**
 * A full Message as sent in message:new / message:edited / message:history /
 * acks: exactly the model's fields plus `sender` (and `replyTo` when it
 * replies; `file` for image and file messages), then every field of `expect` equal.
 */
export function assertMessage(m, expect = {}, what = "message") {
  assertKeys(m, [...MESSAGE_FIELDS, "sender"], MESSAGE_RELATIONS, what);
  assertMessageCore(m, what);
  assertSender(m.sender, m.senderId, `${what}.sender`);
  assertFileRelation(m, what);
  if (m.replyToId === null) {
    assert.ok(!Object.hasOwn(m, "replyTo") || m.replyTo === null, `${what}.replyTo must be absent or null without replyToId`);
  } else {
    assert.ok(Object.hasOwn(m, "replyTo") && m.replyTo !== null, `${what}.replyTo must carry message ${m.replyToId}`);
    assertKeys(m.replyTo, MESSAGE_FIELDS, MESSAGE_RELATIONS, `${what}.replyTo`);
    assertMessageCore(m.replyTo, `${what}.replyTo`);
    assert.equal(m.replyTo.id, m.replyToId, `${what}.replyTo.id must equal replyToId`);
    assert.equal(m.replyTo.roomType, m.roomType, `${what}.replyTo is in another room`);
    assert.equal(m.replyTo.roomId, m.roomId, `${what}.replyTo is in another room`);
    if (Object.hasOwn(m.replyTo, "sender") && m.replyTo.sender !== null) {
      assertSender(m.replyTo.sender, m.replyTo.senderId, `${what}.replyTo.sender`);
    }
  }
  for (const [k, v] of Object.entries(expect)) {
    assert.deepEqual(m[k], v, `${what}.${k}`);
  }
  return m;
}

/** `message:new` / `message:edited` payload: exactly {message}. */
export function assertMessageEvent(payload, expect, what) {
  assertKeys(payload, ["message"], [], what);
  return assertMessage(payload.message, expect, `${what}.message`);
}

/**
 * `message:history` payload for a room: {messages, roomType, roomId, hasMore,
 * nextCursor?}; messages oldest first (ascending ids), each a full Message of
 * that room; nextCursor absent when hasMore is false.
 */
export function assertHistory(h, roomType, roomId, what = "message:history") {
  assertKeys(h, ["messages", "roomType", "roomId", "hasMore"], ["nextCursor"], what);
  assert.equal(h.roomType, roomType, `${what}.roomType`);
  assert.equal(h.roomId, roomId, `${what}.roomId`);
  assert.equal(typeof h.hasMore, "boolean", `${what}.hasMore must be a boolean`);
  assert.ok(Array.isArray(h.messages), `${what}.messages must be an array`);
  if (!h.hasMore) {
    assert.ok(!Object.hasOwn(h, "nextCursor"), `${what}: nextCursor must be absent on the last page, got ${JSON.stringify(h.nextCursor)}`);
  } else if (Object.hasOwn(h, "nextCursor")) {
    assertId(h.nextCursor, `${what}.nextCursor`);
  }
  h.messages.forEach((m, i) => {
    assertMessage(m, { roomType, roomId }, `${what}.messages[${i}]`);
    if (i > 0) assert.ok(m.id > h.messages[i - 1].id, `${what}: messages not oldest first at index ${i} (${h.messages[i - 1].id} then ${m.id})`);
  });
  return h;
}

/** `room:joined` payload: exactly {roomType, roomId, memberCount}. */
export function assertJoined(p, roomType, roomId, what = "room:joined") {
  assertKeys(p, ["roomType", "roomId", "memberCount"], [], what);
  assert.equal(p.roomType, roomType, `${what}.roomType`);
  assert.equal(p.roomId, roomId, `${what}.roomId`);
  assert.ok(Number.isSafeInteger(p.memberCount) && p.memberCount >= 1, `${what}.memberCount: ${JSON.stringify(p.memberCount)}`);
  return p;
}

/** `room:error` payload: exactly {message, roomType, roomId}. */
export function assertRoomError(p, roomType, roomId, what = "room:error") {
  assertKeys(p, ["message", "roomType", "roomId"], [], what);
  assert.equal(typeof p.message, "string", `${what}.message must be a string`);
  assert.ok(p.message.length > 0, `${what}.message must not be empty`);
  assert.equal(p.roomType, roomType, `${what}.roomType`);
  assert.equal(p.roomId, roomId, `${what}.roomId`);
  return p;
}

/** `error` event payload: {message, code}. Resolves to the code. */
export function assertErrorEvent(p, what = "error") {
  assertKeys(p, ["message", "code"], [], what);
  assert.equal(typeof p.message, "string", `${what}.message must be a string`);
  assert.ok(p.message.length > 0, `${what}.message must not be empty`);
  assert.match(p.code, ERROR_CODE, `${what}.code`);
  return p.code;
}

/**
 * A failure ack: exactly {ok:false, error:{code, message}}; `code` (a code or
 * a list of acceptable ones) from the documented list in server/src/chat/errors.rs.
 * Returns the code.
 */
export function assertFailedAck(ack, what = "ack", code) {
  assertKeys(ack, ["ok", "error"], [], what);
  assert.equal(ack.ok, false, `${what}.ok`);
  assertKeys(ack.error, ["code", "message"], [], `${what}.error`);
  assert.match(ack.error.code, ERROR_CODE, `${what}.error.code`);
  assert.equal(typeof ack.error.message, "string", `${what}.error.message must be a string`);
  assert.ok(ack.error.message.length > 0, `${what}.error.message must not be empty`);
  if (Array.isArray(code)) {
    assert.ok(code.includes(ack.error.code), `${what}.error.code: expected one of ${code.join(", ")}, got ${ack.error.code}`);
  } else if (code !== undefined) {
    assert.equal(ack.error.code, code, `${what}.error.code`);
  }
  return ack.error.code;
}

/** A success ack of message:send / message:edit: exactly {ok:true, message}. */
export function assertMessageAck(ack, expect, what = "ack") {
  assert.equal(ack?.ok, true, `${what}: expected ok:true, got ${JSON.stringify(ack)}`);
  assertKeys(ack, ["ok", "message"], [], what);
  return assertMessage(ack.message, expect, `${what}.message`);
}

/** A success ack with no required body: {ok:true, ...}. */
export function assertOkAck(ack, what = "ack") {
  assert.equal(ack?.ok, true, `${what}: expected ok:true, got ${JSON.stringify(ack)}`);
  return ack;
}

/** `message:deleted` payload: exactly {messageId, roomType, roomId}. */
export function assertDeletedEvent(p, messageId, roomType, roomId, what = "message:deleted") {
  assertKeys(p, ["messageId", "roomType", "roomId"], [], what);
  assert.deepEqual(p, { messageId, roomType, roomId }, what);
}

/** `message:read` payload: exactly {messageId, readBy {userId, readAt}}. */
export function assertReadEvent(p, messageId, userId, fromMs, toMs, what = "message:read") {
  assertKeys(p, ["messageId", "readBy"], [], what);
  assert.equal(p.messageId, messageId, `${what}.messageId`);
  assertKeys(p.readBy, ["userId", "readAt"], [], `${what}.readBy`);
  assert.equal(p.readBy.userId, userId, `${what}.readBy.userId`);
  assertIsoDateBetween(p.readBy.readAt, fromMs, toMs, `${what}.readBy.readAt`);
}

/** `typing:started` payload: exactly {roomType, roomId, user {id, firstName, lastName}}. */
export function assertTypingStarted(p, roomType, roomId, userId, what = "typing:started") {
  assertKeys(p, ["roomType", "roomId", "user"], [], what);
  assert.equal(p.roomType, roomType, `${what}.roomType`);
  assert.equal(p.roomId, roomId, `${what}.roomId`);
  assertSender(p.user, userId, `${what}.user`);
}

/** `typing:stopped` payload: exactly {roomType, roomId, userId}. */
export function assertTypingStopped(p, roomType, roomId, userId, what = "typing:stopped") {
  assertKeys(p, ["roomType", "roomId", "userId"], [], what);
  assert.deepEqual(p, { roomType, roomId, userId }, what);
}

/** `room:left` payload: exactly {roomType, roomId}. */
export function assertLeft(p, roomType, roomId, what = "room:left") {
  assertKeys(p, ["roomType", "roomId"], [], what);
  assert.deepEqual(p, { roomType, roomId }, what);
}
