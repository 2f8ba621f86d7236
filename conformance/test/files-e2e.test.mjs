// Images end to end, issue 5 item 5 (last sentence) and item 2: a user
// uploads an image over HTTP (`POST /api/files/upload`, multipart, `Authorization:
// Bearer`), sends an image message with `message:send`, another user in the room
// receives `message:new` carrying the file fields and the `file` relation, and
// downloads the same bytes from `GET /api/files/{id}`. A user without access to
// the room gets 404, a request without a token 401. Runs against `huddle` on
// the real MariaDB, like the chat suite.

import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ChatEnv, envTest } from "../lib/chat-env.mjs";
import { assertFailedAck, assertMessageAck, assertMessageEvent } from "../lib/chat-shapes.mjs";

let env;
const test = envTest(it, () => env);
let ada; // user 1, manager of project 1
let alan; // user 3, researcher in project 1

before(async () => {
  env = await ChatEnv.start({ label: "files" });
  ada = await env.connect(1, "user 1 (uploader)");
  alan = await env.connect(3, "user 3 (receiver)");
  await ada.mustJoin("project", 1);
  await alan.mustJoin("project", 1);
});
after(async () => {
  await env?.close();
});

/** A PNG of `len` bytes: the signature and IHDR, then random padding. */
function png(len) {
  const head = Buffer.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
    0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e, 0x9b, 0x55,
  ]);
  return Buffer.concat([head, crypto.randomBytes(len - head.length)]);
}

async function upload(userId, name, bytes) {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type: "application/octet-stream" }), name);
  const res = await fetch(`${env.url}/api/files/upload`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await env.token(userId)}` },
    body: form,
    signal: AbortSignal.timeout(15000),
  });
  return { status: res.status, body: await res.json() };
}

async function download(fileId, userId) {
  const headers = userId === undefined ? {} : { Authorization: `Bearer ${await env.token(userId)}` };
  const res = await fetch(`${env.url}/api/files/${fileId}`, { headers, signal: AbortSignal.timeout(15000) });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe("an image message, uploaded over HTTP and downloaded by another member", () => {
  test("upload, send, receive message:new with the file fields, download the same bytes", { timeout: 30000 }, async () => {
    const bytes = png(300 * 1024);
    const up = await upload(1, "diagram.png", bytes);
    assert.equal(up.status, 201, `upload: ${JSON.stringify(up.body)}`);
    assert.deepEqual(Object.keys(up.body).sort(), ["fileId", "fileName", "fileSize", "mimeType"]);
    assert.equal(up.body.fileName, "diagram.png");
    assert.equal(up.body.fileSize, bytes.length);
    assert.equal(up.body.mimeType, "image/png");

    const fileFields = {
      fileId: up.body.fileId, fileName: "diagram.png", fileSize: bytes.length, mimeType: "image/png",
    };
    const ack = await ada.request("message:send", {
      roomType: "project", roomId: 1, type: "image", content: "the <b>new</b> diagram", ...fileFields,
    });
    const sent = assertMessageAck(ack, {
      type: "image", content: "the new diagram", senderId: 1, ...fileFields,
      file: { id: up.body.fileId, fileName: "diagram.png", fileSize: bytes.length, mimeType: "image/png" },
    }, "message:send ack");

    const received = await alan.next("message:new", (q) => q.message?.id === sent.id);
    const message = assertMessageEvent(received, { type: "image", ...fileFields }, "message:new");
    assert.deepEqual(received.message, ack.message, "what the sender was acknowledged is what the room receives");

    const { res, bytes: got } = await download(message.fileId, 3);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(got.length, bytes.length);
    assert.ok(got.equals(bytes), "the downloaded bytes are the uploaded bytes");
  });

  test("a user without access to the room gets 404, a request without a token 401", { timeout: 30000 }, async () => {
    const bytes = png(2048);
    const up = await upload(1, "private.png", bytes);
    assert.equal(up.status, 201, `upload: ${JSON.stringify(up.body)}`);
    await ada.mustSend("project", 1, "", { type: "image", fileId: up.body.fileId });
    // User 4 has no access to project 1.
    const outsider = await download(up.body.fileId, 4);
    assert.equal(outsider.res.status, 404);
    const anonymous = await download(up.body.fileId, undefined);
    assert.equal(anonymous.res.status, 401);
    // The room member may.
    const member = await download(up.body.fileId, 3);
    assert.equal(member.res.status, 200);
    assert.ok(member.bytes.equals(bytes));
  });

  test("a text file uploaded as .png is refused for an image message, accepted as a file message", { timeout: 30000 }, async () => {
    const up = await upload(1, "notes.png", Buffer.from("plain notes, not a picture\n"));
    assert.equal(up.status, 201, `upload: ${JSON.stringify(up.body)}`);
    assert.equal(up.body.mimeType, "text/plain");
    const refused = await ada.request("message:send", { roomType: "project", roomId: 1, type: "image", fileId: up.body.fileId });
    assertFailedAck(refused, "image message with a text file", "INVALID_FILE_TYPE");
    const accepted = await ada.request("message:send", { roomType: "project", roomId: 1, type: "file", fileId: up.body.fileId });
    assertMessageAck(accepted, { type: "file", content: "", fileName: "notes.png", mimeType: "text/plain" }, "file message ack");
  });

  test("another user's fileId is refused", { timeout: 30000 }, async () => {
    const up = await upload(3, "alan.png", png(1024));
    assert.equal(up.status, 201, `upload: ${JSON.stringify(up.body)}`);
    const refused = await ada.request("message:send", { roomType: "project", roomId: 1, type: "image", fileId: up.body.fileId });
    assertFailedAck(refused, "image message with another user's file", "FILE_NOT_FOUND");
  });
});
