// Client side of the chat end-to-end suite: a real socket.io-client socket
// wrapped in a recorder that keeps every event the server sent, in arrival
// order, so a test can await "the next `message:new` for room X" (bounded),
// count what arrived, and check what did NOT arrive using a later event as a
// barrier (events on one connection arrive in the order the server queued them).

import { io } from "socket.io-client";

/** How long a test waits for an expected event unless told otherwise. */
export const EVENT_TIMEOUT_MS = 5000;

let sequence = 0;

/** One recorded server event. */
class Record {
  constructor(event, args) {
    this.seq = ++sequence;
    this.event = event;
    this.args = args;
    this.payload = args[0];
    this.at = Date.now();
    this.consumed = false;
  }
}

/** The room predicate used throughout: payload.roomType/roomId equal. */
export const inRoom = (roomType, roomId) => (p) => p?.roomType === roomType && p?.roomId === roomId;

/**
 * A connected chat client. Every event is recorded; `next` hands out each
 * record at most once, `all`/`records` see everything.
 */
export class ChatClient {
  constructor(socket, label) {
    this.socket = socket;
    this.label = label;
    /** @type {Record[]} */
    this.log = [];
    this.waiters = [];
    /** The auth:success payload (set by connectChat). */
    this.auth = undefined;
    socket.onAny((event, ...args) => this.#push(event, args));
    socket.on("disconnect", (reason) => this.#push("disconnect", [reason]));
  }

  #push(event, args) {
    const rec = new Record(event, args);
    this.log.push(rec);
    for (const w of this.waiters) {
      if (w.events.includes(event) && safeMatch(w.where, rec.payload)) {
        rec.consumed = true;
        this.waiters.splice(this.waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(rec);
        return;
      }
    }
  }

  /**
   * The first not yet handed out event among `events` (a name or a list)
   * whose payload matches `where`, waiting up to timeoutMs. Resolves with the
   * Record (event, payload, args, seq, at).
   */
  nextRecord(events, where = () => true, timeoutMs = EVENT_TIMEOUT_MS) {
    const names = Array.isArray(events) ? events : [events];
    const found = this.log.find((r) => !r.consumed && names.includes(r.event) && safeMatch(where, r.payload));
    if (found) {
      found.consumed = true;
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const waiter = { events: names, where, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${this.label}: expected ${names.map((n) => `"${n}"`).join(" or ")} within ${timeoutMs} ms; ` +
          `recent events: ${this.summary()}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Like nextRecord, resolving with the payload (the first argument). */
  async next(events, where, timeoutMs) {
    return (await this.nextRecord(events, where, timeoutMs)).payload;
  }

  /**
   * Marks every event of `event` received so far as handed out, so that a
   * following `next(event)` can only see a new one.
   */
  discard(event) {
    for (const r of this.log) if (r.event === event) r.consumed = true;
  }

  /** Every record of `event` (handed out or not) matching `where`. */
  records(event, where = () => true) {
    return this.log.filter((r) => r.event === event && safeMatch(where, r.payload));
  }

  /** Every payload of `event` matching `where`, in arrival order. */
  all(event, where) {
    return this.records(event, where).map((r) => r.payload);
  }

  /** The last few events, for failure messages. */
  summary(n = 8) {
    const tail = this.log.slice(-n).map((r) => `${r.event} ${truncate(JSON.stringify(r.args))}`);
    return tail.length ? tail.join(" | ") : "(none)";
  }

  /** Emits without an acknowledgement. */
  emit(event, payload) {
    this.socket.emit(event, payload);
  }

  /** Emits with an acknowledgement; resolves with the ack's first argument. */
  async request(event, payload, timeoutMs = 10000) {
    try {
      return await this.socket.timeout(timeoutMs).emitWithAck(event, payload);
    } catch (err) {
      throw new Error(`${this.label}: no acknowledgement for "${event}" ${truncate(JSON.stringify(payload))} ` +
        `within ${timeoutMs} ms (${err.message}); recent events: ${this.summary()}`);
    }
  }

  /**
   * `room:join`, then the server's answer for that room: resolves with
   * {joined, history} on success or {error} on `room:error`.
   */
  async join(type, id, extra = {}, timeoutMs = EVENT_TIMEOUT_MS) {
    this.emit("room:join", { type, id, ...extra });
    const rec = await this.nextRecord(["room:joined", "room:error"], inRoom(type, id), timeoutMs);
    if (rec.event === "room:error") return { error: rec.payload };
    const history = await this.next("message:history", inRoom(type, id), timeoutMs);
    return { joined: rec.payload, history };
  }

  /**
   * `room:join` with an ack: resolves with {ack, joined, history} or
   * {ack, error} (the room:error payload).
   */
  async joinWithAck(type, id, extra = {}, timeoutMs = EVENT_TIMEOUT_MS) {
    const ackP = this.request("room:join", { type, id, ...extra }, timeoutMs);
    const rec = await this.nextRecord(["room:joined", "room:error"], inRoom(type, id), timeoutMs);
    const ack = await ackP;
    if (rec.event === "room:error") return { ack, error: rec.payload };
    const history = await this.next("message:history", inRoom(type, id), timeoutMs);
    return { ack, joined: rec.payload, history };
  }

  /** `join` that must succeed; resolves with {joined, history}. */
  async mustJoin(type, id, extra, timeoutMs) {
    const r = await this.join(type, id, extra, timeoutMs);
    if (r.error) throw new Error(`${this.label}: joining ${type} ${id} was refused: ${JSON.stringify(r.error)}`);
    return r;
  }

  /** `message:send` of a text message with an ack; resolves with the ack. */
  send(roomType, roomId, content, extra = {}) {
    return this.request("message:send", { roomType, roomId, content, type: "text", ...extra });
  }

  /** `send` that must succeed; resolves with the stored message. */
  async mustSend(roomType, roomId, content, extra) {
    const ack = await this.send(roomType, roomId, content, extra);
    if (ack?.ok !== true) {
      throw new Error(`${this.label}: message:send to ${roomType} ${roomId} refused: ${JSON.stringify(ack)}`);
    }
    return ack.message;
  }

  get connected() {
    return this.socket.connected;
  }

  /** Disconnects (client namespace disconnect) and closes the connection. */
  close() {
    try {
      this.socket.disconnect();
      this.socket.io.engine?.close();
    } catch {
      // closing is best effort
    }
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
  }
}

function safeMatch(where, payload) {
  try {
    return Boolean(where(payload));
  } catch {
    return false;
  }
}

function truncate(s, n = 300) {
  if (s === undefined) return "undefined";
  return s.length > n ? `${s.slice(0, n)}...` : s;
}

/** The socket.io-client options every chat client uses (plus `transports` from the env). */
function baseOptions() {
  const opts = { forceNew: true, reconnection: false, timeout: 5000, autoConnect: false };
  // HUDDLE_TEST_TRANSPORTS=websocket (or polling) runs the suite on one transport;
  // the default is socket.io-client's own: polling upgraded to WebSocket.
  if (process.env.HUDDLE_TEST_TRANSPORTS) {
    opts.transports = process.env.HUDDLE_TEST_TRANSPORTS.split(",").map((t) => t.trim());
  }
  return opts;
}

/**
 * Opens a socket with `auth` and waits for the outcome: resolves with
 * {client} once connected, or {connectError} (the Error with .message and
 * .data) when the server refused the handshake.
 */
export async function openSocket(url, auth, label, timeoutMs = EVENT_TIMEOUT_MS) {
  const socket = io(url, { ...baseOptions(), auth });
  const client = new ChatClient(socket, label);
  const outcome = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${label}: neither "connect" nor "connect_error" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnect = () => {
      cleanup();
      resolve({ client });
    };
    const onError = (err) => {
      cleanup();
      resolve({ client, connectError: err });
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
    socket.connect();
  });
  if (outcome.connectError) client.close();
  return outcome;
}

/**
 * Connects with `token` and waits for `auth:success`; resolves with the
 * client (its `auth` holds the auth:success payload).
 */
export async function connectChat(url, token, label, timeoutMs = EVENT_TIMEOUT_MS) {
  const { client, connectError } = await openSocket(url, { token }, label, timeoutMs);
  if (connectError) {
    throw new Error(`${label}: connect_error "${connectError.message}" (data ${JSON.stringify(connectError.data)})`);
  }
  client.auth = await client.next("auth:success", () => true, timeoutMs);
  return client;
}
