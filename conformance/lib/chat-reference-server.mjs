// Reference implementation of the chat contract the chat end-to-end suite
// tests (issue 4 items 2-8, 10), on the socket.io reference server and the
// project's own MariaDB migrations (storage/migrations/*.sql). It exists ONLY
// to validate the suite itself (its harness, barriers, timing and reading of
// the contract) while `huddle` is being built: run the suite against it with
// HUDDLE_CHAT_SERVER=reference. The suite's default target is the `huddle`
// binary; nothing of this file is part of Huddle.
//
// Same command line as the subset of `huddle` the suite uses:
//   chat-reference-server.mjs [--addr H:P] --database-url URL --jwt-secret S [--rate-limit-per-minute N]
//   chat-reference-server.mjs demo-data --database-url URL
//   chat-reference-server.mjs token --user N --jwt-secret S [--ttl=TTL]   (TTL: 90s, 15m, -1h...)

import crypto from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mysql from "mysql2/promise";
import { Server } from "socket.io";

const here = path.dirname(fileURLToPath(import.meta.url));
const MIGRATIONS = path.resolve(here, "..", "..", "storage", "migrations");
const HISTORY_PAGE = 50;
const HISTORY_MAX = 100;
const MAX_CODE_POINTS = 10000;
const TYPING_MS = 3000;
const EDIT_WINDOW_MS = 24 * 3600 * 1000;

function parseArgs(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--") && a.includes("=")) out[a.slice(2, a.indexOf("="))] = a.slice(a.indexOf("=") + 1);
    else if (a.startsWith("--")) out[a.slice(2)] = argv[++i];
    else out._.push(a);
  }
  return out;
}

function pool(url) {
  const u = new URL(url);
  return mysql.createPool({
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: u.username ? decodeURIComponent(u.username) : "root",
    password: u.password ? decodeURIComponent(u.password) : "",
    database: u.pathname.replace(/^\//, ""),
    timezone: "Z",
    dateStrings: true,
    connectionLimit: 8,
    supportBigNumbers: true,
  });
}

async function migrate(db) {
  for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith(".sql")).sort()) {
    const sql = readFileSync(path.join(MIGRATIONS, file), "utf8")
      .split("\n").filter((l) => !l.trim().startsWith("--")).join("\n");
    for (const stmt of sql.split(/;\s*$/m).map((s) => s.trim()).filter(Boolean)) await db.query(stmt);
  }
}

async function demoData(db) {
  await migrate(db);
  const users = [[1, "Ada", "Lovelace", "manager"], [2, "Grace", "Hopper", "manager"], [3, "Alan", "Turing", "researcher"],
    [4, "Katherine", "Johnson", "researcher"], [5, "Edsger", "Dijkstra", "researcher"]];
  for (const u of users) await db.query("INSERT IGNORE INTO users (id, first_name, last_name, role) VALUES (?, ?, ?, ?)", u);
  for (const p of [[1, "Apollo", 1], [2, "Enigma", 2], [3, "Mercury", 2]]) {
    await db.query("INSERT IGNORE INTO projects (id, name, created_by) VALUES (?, ?, ?)", p);
  }
  await db.query("INSERT IGNORE INTO project_access (project_id, user_id) VALUES (3, 1)");
  for (const s of [[1, 1, "Study 1"], [2, 1, "Study 2"], [3, 2, "Study 3"], [4, 3, "Study 4"]]) {
    await db.query("INSERT IGNORE INTO studies (id, project_id, name) VALUES (?, ?, ?)", s);
  }
  for (const t of [[1, 1, 1, 3, "Task 1"], [2, 2, 3, 4, "Task 2"], [3, 1, null, 5, "Task 3"]]) {
    await db.query("INSERT IGNORE INTO tasks (id, project_id, study_id, assignee_id, title) VALUES (?, ?, ?, ?, ?)", t);
  }
}

const b64url = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
function signToken(claims, secret) {
  const head = `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url(claims)}`;
  return `${head}.${crypto.createHmac("sha256", secret).update(head).digest("base64url")}`;
}

class ChatError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const fail = (code, message) => {
  throw new ChatError(code, message);
};

/** [ok, claims|code] */
function verifyToken(token, secret) {
  if (typeof token !== "string" || token === "") return [false, "AUTH_REQUIRED"];
  const parts = token.split(".");
  if (parts.length !== 3) return [false, "AUTH_INVALID"];
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url").toString());
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
  } catch {
    return [false, "AUTH_INVALID"];
  }
  if (header.alg !== "HS256") return [false, "AUTH_INVALID"];
  const sig = crypto.createHmac("sha256", secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], "base64url");
  if (given.length !== sig.length || !crypto.timingSafeEqual(given, sig)) return [false, "AUTH_INVALID"];
  if (typeof claims.exp !== "number") return [false, "AUTH_INVALID"];
  if (claims.exp < Date.now() / 1000) return [false, "AUTH_EXPIRED"];
  const sub = typeof claims.sub === "string" && /^[1-9][0-9]*$/.test(claims.sub) ? Number(claims.sub) : claims.sub;
  if (!Number.isSafeInteger(sub) || sub <= 0) return [false, "AUTH_INVALID"];
  return [true, { ...claims, sub }];
}

const iso = (v) => (v === null || v === undefined ? null : `${String(v).replace(" ", "T")}Z`);
const posInt = (v) => Number.isSafeInteger(v) && v > 0;
const roomKey = (t, id) => `${t}:${id}`;

function sanitize(text) {
  let t = text.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "");
  t = t.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, "");
  let prev;
  do {
    prev = t;
    t = t.replace(/<[A-Za-z/!?][^>]*>/g, "");
  } while (t !== prev);
  return t.replace(/<(?=[A-Za-z/!?])/g, "");
}

/** Flag, else environment variable, else default; a bad value ends the process with one line. */
function settings(args) {
  const pick = (flag, env, dflt) => args[flag] ?? process.env[env] ?? dflt;
  const bad = (flag, env, value) => {
    console.error(`error: invalid value ${JSON.stringify(value)} for --${flag} (${env})`);
    process.exit(2);
  };
  const addr = pick("addr", "HUDDLE_ADDR", "127.0.0.1:3000");
  const m = /^([0-9.]+):(\d+)$/.exec(addr);
  if (!m || Number(m[2]) > 65535) bad("addr", "HUDDLE_ADDR", addr);
  const rate = pick("rate-limit-per-minute", "HUDDLE_RATE_LIMIT_PER_MINUTE", "10");
  if (!/^[1-9][0-9]*$/.test(rate)) bad("rate-limit-per-minute", "HUDDLE_RATE_LIMIT_PER_MINUTE", rate);
  const databaseUrl = pick("database-url", "HUDDLE_DATABASE_URL", undefined);
  if (databaseUrl !== undefined && !/^mysql:\/\/[^\s]+$/.test(databaseUrl)) bad("database-url", "HUDDLE_DATABASE_URL", databaseUrl);
  const secret = pick("jwt-secret", "HUDDLE_JWT_SECRET", undefined);
  return { host: m[1], port: Number(m[2]), perMinute: Number(rate), databaseUrl, secret };
}

async function serve(args) {
  const config = settings(args);
  let { databaseUrl, secret } = config;
  let scratch;
  if (databaseUrl === undefined) {
    // Quick start: the reference has no in-memory store, so it uses a scratch
    // database on the test server, dropped on exit (nothing persists).
    scratch = `huddle_chat_reference_demo_${process.pid}`;
    const admin = pool("mysql://root@127.0.0.1:3306/");
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${scratch}\``);
    await admin.end();
    databaseUrl = `mysql://root@127.0.0.1:3306/${scratch}`;
    const d = pool(databaseUrl);
    await demoData(d);
    await d.end();
    secret ??= "reference-dev-secret";
    console.error("warning: no database URL: in-memory demo, nothing persists; using a development JWT secret");
  }
  const db = pool(databaseUrl);
  await migrate(db);
  const perMinute = config.perMinute;
  const { host, port } = config;
  const httpServer = http.createServer();
  const io = new Server(httpServer, { cors: { origin: true } });
  const buckets = new Map();
  const roomTails = new Map();
  const typingTimers = new Map();

  const userRow = async (id) => (await db.query("SELECT * FROM users WHERE id = ?", [id]))[0][0];

  /** "ok" | ROOM_NOT_FOUND | ROOM_FORBIDDEN */
  async function access(user, type, id) {
    const projectAccess = async (pid) => {
      const [[p]] = await db.query("SELECT created_by FROM projects WHERE id = ?", [pid]);
      if (!p) return "ROOM_NOT_FOUND";
      if (user.role === "manager") {
        if (Number(p.created_by) === user.id) return "ok";
        const [g] = await db.query("SELECT 1 FROM project_access WHERE project_id = ? AND user_id = ?", [pid, user.id]);
        return g.length ? "ok" : "ROOM_FORBIDDEN";
      }
      const [t] = await db.query("SELECT 1 FROM tasks WHERE project_id = ? AND assignee_id = ?", [pid, user.id]);
      return t.length ? "ok" : "ROOM_FORBIDDEN";
    };
    if (type === "project") return projectAccess(id);
    const [[s]] = await db.query("SELECT project_id FROM studies WHERE id = ?", [id]);
    if (!s) return "ROOM_NOT_FOUND";
    if (user.role === "manager") {
      const r = await projectAccess(Number(s.project_id));
      return r === "ok" ? "ok" : "ROOM_FORBIDDEN";
    }
    const [t] = await db.query("SELECT 1 FROM tasks WHERE study_id = ? AND assignee_id = ?", [id, user.id]);
    return t.length ? "ok" : "ROOM_FORBIDDEN";
  }

  const SELECT = "SELECT m.*, u.first_name, u.last_name FROM messages m JOIN users u ON u.id = m.sender_id";
  function render(row) {
    const deleted = row.deleted_at !== null;
    return {
      id: Number(row.id), roomType: row.room_type, roomId: Number(row.room_id), senderId: Number(row.sender_id),
      type: row.type, content: deleted ? "" : row.content,
      fileId: deleted || row.file_id === null ? null : Number(row.file_id), fileName: deleted ? null : row.file_name,
      fileSize: deleted || row.file_size === null ? null : Number(row.file_size), mimeType: deleted ? null : row.mime_type,
      replyToId: row.reply_to_id === null ? null : Number(row.reply_to_id),
      editedAt: iso(row.edited_at), deletedAt: iso(row.deleted_at), createdAt: iso(row.created_at), updatedAt: iso(row.updated_at),
      sender: { id: Number(row.sender_id), firstName: row.first_name, lastName: row.last_name },
    };
  }
  async function withRelations(rows) {
    const out = rows.map(render);
    const parents = [...new Set(out.filter((m) => m.replyToId !== null).map((m) => m.replyToId))];
    if (parents.length) {
      const [prow] = await db.query(`${SELECT} WHERE m.id IN (?)`, [parents]);
      const byId = new Map(prow.map((r) => [Number(r.id), render(r)]));
      for (const m of out) if (m.replyToId !== null) m.replyTo = byId.get(m.replyToId);
    }
    return out;
  }
  const loadMessage = async (id) => {
    const [rows] = await db.query(`${SELECT} WHERE m.id = ?`, [id]);
    return rows.length ? (await withRelations(rows))[0] : undefined;
  };

  async function pageBefore(type, id, cursor, limit) {
    const [rows] = await db.query(
      `${SELECT} WHERE m.room_type = ? AND m.room_id = ? ${cursor ? "AND m.id < ?" : ""} ORDER BY m.id DESC LIMIT ?`,
      cursor ? [type, id, cursor, limit + 1] : [type, id, limit + 1]);
    const hasMore = rows.length > limit;
    const messages = await withRelations(rows.slice(0, limit).reverse());
    const page = { messages, roomType: type, roomId: id, hasMore };
    if (hasMore) page.nextCursor = messages[0].id;
    return page;
  }
  async function pageAfter(type, id, sinceId, limit) {
    const [rows] = await db.query(`${SELECT} WHERE m.room_type = ? AND m.room_id = ? AND m.id > ? ORDER BY m.id ASC LIMIT ?`,
      [type, id, sinceId, limit + 1]);
    const hasMore = rows.length > limit;
    return { messages: await withRelations(rows.slice(0, limit)), roomType: type, roomId: id, hasMore };
  }

  /** Runs fn after everything queued for the room: one order per room. */
  function inRoomOrder(key, fn) {
    const tail = roomTails.get(key) ?? Promise.resolve();
    const run = tail.then(fn, fn);
    roomTails.set(key, run.catch(() => {}));
    return run;
  }

  function takeToken(userId) {
    const now = Date.now();
    const b = buckets.get(userId) ?? { tokens: perMinute, at: now };
    b.tokens = Math.min(perMinute, b.tokens + ((now - b.at) * perMinute) / 60000);
    b.at = now;
    buckets.set(userId, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  async function memberCount(key) {
    const sockets = await io.in(key).fetchSockets();
    return new Set(sockets.map((s) => s.data.user.id)).size;
  }

  function stopTyping(socket, type, id) {
    const key = `${roomKey(type, id)}|${socket.id}`;
    const t = typingTimers.get(key);
    if (!t) return;
    clearTimeout(t);
    typingTimers.delete(key);
    io.to(roomKey(type, id)).except(socket.id).emit("typing:stopped", { roomType: type, roomId: id, userId: socket.data.user.id });
  }

  const roomOf = (p, typeField, idField) => {
    if (!p || typeof p !== "object") fail("INVALID_PAYLOAD", "the payload must be an object");
    if (p[typeField] !== "project" && p[typeField] !== "study") fail("INVALID_PAYLOAD", `${typeField} must be project or study`);
    if (!posInt(p[idField])) fail("INVALID_PAYLOAD", `${idField} must be a positive integer`);
    return [p[typeField], p[idField]];
  };

  io.use(async (socket, next) => {
    const [ok, v] = verifyToken(socket.handshake.auth?.token, secret);
    const refuse = (code, message) => {
      const err = new Error(message);
      err.data = { code };
      next(err);
    };
    if (!ok) return refuse(v, `authentication failed: ${v}`);
    const row = await userRow(v.sub);
    if (!row) return refuse("USER_NOT_FOUND", "no such user");
    socket.data.user = { id: Number(row.id), role: row.role };
    next();
  });

  io.on("connection", (socket) => {
    const user = socket.data.user;
    socket.emit("auth:success", { userId: user.id, userRole: user.role });

    const handle = (event, fn, roomErrorOf) => {
      socket.on(event, async (payload, ack) => {
        try {
          const result = await fn(payload);
          if (typeof ack === "function") ack({ ok: true, ...result });
        } catch (err) {
          const e = err instanceof ChatError ? err : new ChatError("INTERNAL", "internal server error");
          if (!(err instanceof ChatError)) console.error(err);
          const room = roomErrorOf?.(payload);
          if (room && (e.code === "ROOM_FORBIDDEN" || e.code === "ROOM_NOT_FOUND" || e.code === "NOT_IN_ROOM")) {
            socket.emit("room:error", { message: e.message, roomType: room[0], roomId: room[1] });
          } else {
            socket.emit("error", { message: e.message, code: e.code });
          }
          if (typeof ack === "function") ack({ ok: false, error: { code: e.code, message: e.message } });
        }
      });
    };
    const joinRoomOf = (p) => (p && typeof p === "object" && (p.type === "project" || p.type === "study") && posInt(p.id) ? [p.type, p.id] : undefined);

    handle("room:join", async (p) => {
      const [type, id] = roomOf(p, "type", "id");
      if (p.sinceId !== undefined && !posInt(p.sinceId)) fail("INVALID_PAYLOAD", "sinceId must be a positive integer");
      const a = await access(user, type, id);
      if (a !== "ok") fail(a, a === "ROOM_NOT_FOUND" ? `no ${type} ${id}` : `no access to ${type} ${id}`);
      const key = roomKey(type, id);
      return inRoomOrder(key, async () => {
        socket.join(key);
        const joined = { roomType: type, roomId: id, memberCount: await memberCount(key) };
        socket.emit("room:joined", joined);
        if (p.sinceId !== undefined) {
          let after = p.sinceId;
          for (;;) {
            const page = await pageAfter(type, id, after, HISTORY_PAGE);
            socket.emit("message:history", page);
            if (!page.hasMore) break;
            after = page.messages.at(-1).id;
          }
        } else {
          socket.emit("message:history", await pageBefore(type, id, undefined, HISTORY_PAGE));
        }
        return joined;
      });
    }, joinRoomOf);

    handle("room:leave", async (p) => {
      const [type, id] = roomOf(p, "type", "id");
      const key = roomKey(type, id);
      if (!socket.rooms.has(key)) fail("NOT_IN_ROOM", `not in ${type} ${id}`);
      stopTyping(socket, type, id);
      socket.leave(key);
      socket.emit("room:left", { roomType: type, roomId: id });
      return { roomType: type, roomId: id };
    }, joinRoomOf);

    handle("message:send", async (p) => {
      const [type, id] = roomOf(p, "roomType", "roomId");
      if (!["text", "image", "file"].includes(p.type)) fail("INVALID_PAYLOAD", "type must be text, image or file");
      if (p.type !== "text") fail("UNSUPPORTED_TYPE", "image and file messages are not served yet");
      if (typeof p.content !== "string") fail("INVALID_PAYLOAD", "content must be a string");
      if (p.clientMessageId !== undefined && (typeof p.clientMessageId !== "string" || [...p.clientMessageId].length > 64)) {
        fail("INVALID_PAYLOAD", "clientMessageId must be a string of at most 64 characters");
      }
      if (p.replyToId !== undefined && p.replyToId !== null && !posInt(p.replyToId)) fail("INVALID_PAYLOAD", "replyToId must be a positive integer");
      const key = roomKey(type, id);
      if (!socket.rooms.has(key)) fail("NOT_IN_ROOM", `join ${type} ${id} first`);
      if ([...p.content].length > MAX_CODE_POINTS) fail("CONTENT_TOO_LONG", "content is over 10,000 characters");
      const content = sanitize(p.content);
      if (content.trim() === "") fail("CONTENT_EMPTY", "content is empty");
      return inRoomOrder(key, async () => {
        if (p.clientMessageId !== undefined) {
          const [dup] = await db.query("SELECT id FROM messages WHERE sender_id = ? AND client_message_id = ?", [user.id, p.clientMessageId]);
          if (dup.length) return { message: await loadMessage(Number(dup[0].id)) };
        }
        if (!takeToken(user.id)) fail("RATE_LIMITED", "too many messages; wait a little");
        if (p.replyToId) {
          const [r] = await db.query("SELECT 1 FROM messages WHERE id = ? AND room_type = ? AND room_id = ?", [p.replyToId, type, id]);
          if (!r.length) fail("REPLY_NOT_FOUND", "replyToId is not a message of this room");
        }
        const now = new Date().toISOString().replace("T", " ").replace("Z", "");
        const [res] = await db.query(
          "INSERT INTO messages (room_type, room_id, sender_id, type, content, reply_to_id, client_message_id, created_at, updated_at) VALUES (?, ?, ?, 'text', ?, ?, ?, ?, ?)",
          [type, id, user.id, content, p.replyToId ?? null, p.clientMessageId ?? null, now, now]);
        const message = await loadMessage(res.insertId);
        io.to(key).emit("message:new", { message });
        return { message };
      });
    });

    async function ownMessage(p, needContent) {
      if (!p || typeof p !== "object" || !posInt(p.messageId)) fail("INVALID_PAYLOAD", "messageId must be a positive integer");
      if (needContent && typeof p.content !== "string") fail("INVALID_PAYLOAD", "content must be a string");
      const m = await loadMessage(p.messageId);
      if (!m || (await access(user, m.roomType, m.roomId)) !== "ok") fail("MESSAGE_NOT_FOUND", "no such message");
      return m;
    }
    async function mayChange(m) {
      if (m.deletedAt !== null) fail("MESSAGE_DELETED", "the message was deleted");
      if (m.senderId !== user.id && user.role !== "manager") fail("EDIT_FORBIDDEN", "only the sender or a manager");
      const [[row]] = await db.query("SELECT created_at FROM messages WHERE id = ?", [m.id]);
      if (Date.now() - Date.parse(iso(row.created_at)) > EDIT_WINDOW_MS) fail("EDIT_WINDOW_EXPIRED", "older than 24 hours");
    }

    handle("message:edit", async (p) => {
      const m = await ownMessage(p, true);
      if ([...p.content].length > MAX_CODE_POINTS) fail("CONTENT_TOO_LONG", "content is over 10,000 characters");
      const content = sanitize(p.content);
      if (content.trim() === "") fail("CONTENT_EMPTY", "content is empty");
      await mayChange(m);
      const key = roomKey(m.roomType, m.roomId);
      return inRoomOrder(key, async () => {
        await db.query("UPDATE messages SET content = ?, edited_at = UTC_TIMESTAMP(3), updated_at = UTC_TIMESTAMP(3) WHERE id = ?", [content, m.id]);
        const message = await loadMessage(m.id);
        io.to(key).emit("message:edited", { message });
        return { message };
      });
    });

    handle("message:delete", async (p) => {
      const m = await ownMessage(p, false);
      await mayChange(m);
      const key = roomKey(m.roomType, m.roomId);
      return inRoomOrder(key, async () => {
        await db.query("UPDATE messages SET deleted_at = UTC_TIMESTAMP(3), updated_at = UTC_TIMESTAMP(3) WHERE id = ?", [m.id]);
        io.to(key).emit("message:deleted", { messageId: m.id, roomType: m.roomType, roomId: m.roomId });
        return {};
      });
    });

    handle("message:read", async (p) => {
      const m = await ownMessage(p, false);
      const [res] = await db.query("INSERT IGNORE INTO message_reads (message_id, user_id, read_at) VALUES (?, ?, UTC_TIMESTAMP(3))", [m.id, user.id]);
      if (res.affectedRows === 1) {
        const [[r]] = await db.query("SELECT read_at FROM message_reads WHERE message_id = ? AND user_id = ?", [m.id, user.id]);
        io.to(roomKey(m.roomType, m.roomId)).emit("message:read", { messageId: m.id, readBy: { userId: user.id, readAt: iso(r.read_at) } });
      }
      return {};
    });

    handle("message:history", async (p) => {
      const [type, id] = roomOf(p, "roomType", "roomId");
      if (p.cursor !== undefined && !posInt(p.cursor)) fail("INVALID_PAYLOAD", "cursor must be a positive integer");
      if (p.limit !== undefined && !(Number.isSafeInteger(p.limit) && p.limit >= 1)) fail("INVALID_PAYLOAD", "limit must be a positive integer");
      const a = await access(user, type, id);
      if (a !== "ok") fail(a, `no access to ${type} ${id}`);
      const page = await pageBefore(type, id, p.cursor, Math.min(p.limit ?? HISTORY_PAGE, HISTORY_MAX));
      socket.emit("message:history", page);
      return page;
    });

    handle("typing:start", async (p) => {
      const [type, id] = roomOf(p, "roomType", "roomId");
      if (!socket.rooms.has(roomKey(type, id))) fail("NOT_IN_ROOM", `join ${type} ${id} first`);
      const key = `${roomKey(type, id)}|${socket.id}`;
      const existing = typingTimers.get(key);
      if (existing) clearTimeout(existing);
      else {
        const row = await userRow(user.id);
        socket.to(roomKey(type, id)).emit("typing:started", {
          roomType: type, roomId: id, user: { id: user.id, firstName: row.first_name, lastName: row.last_name },
        });
      }
      typingTimers.set(key, setTimeout(() => stopTyping(socket, type, id), TYPING_MS));
      return {};
    });

    handle("typing:stop", async (p) => {
      const [type, id] = roomOf(p, "roomType", "roomId");
      stopTyping(socket, type, id);
      return {};
    });

    socket.on("disconnecting", () => {
      for (const key of socket.rooms) {
        const m = /^(project|study):(\d+)$/.exec(key);
        if (m) stopTyping(socket, m[1], Number(m[2]));
      }
    });
  });

  await new Promise((resolve) => httpServer.listen(Number(port), host, resolve));
  const addr = httpServer.address();
  console.log(`huddle listening on http://${addr.address}:${addr.port}`);
  if (scratch) {
    for (const id of [1, 2, 3, 4, 5]) {
      console.log(`user ${id}: ${signToken({ sub: String(id), exp: Math.floor(Date.now() / 1000) + 86400 }, secret)}`);
    }
  }
  const shutdown = async () => {
    io.close();
    if (scratch) await db.query(`DROP DATABASE IF EXISTS \`${scratch}\``).catch(() => {});
    db.end().finally(() => process.exit(0));
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const cmd = args._[0];
  if (cmd === "token") {
    const m = /^(-?\d+)([smhd])$/.exec(args.ttl ?? "1h");
    if (!m) throw new Error(`bad --ttl ${args.ttl}`);
    const ttl = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2]];
    const secret = args["jwt-secret"] ?? process.env.HUDDLE_JWT_SECRET;
    console.log(signToken({ sub: String(args.user), exp: Math.floor(Date.now() / 1000) + ttl }, secret));
  } else if (cmd === "demo-data") {
    const db = pool(args["database-url"]);
    await demoData(db);
    await db.end();
  } else {
    await serve(args);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
