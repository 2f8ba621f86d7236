// One chat test environment per test file (issue 4 item 9): a fresh MariaDB
// database with the demo data loaded by `huddle demo-data`, a `huddle` chat
// server started on it, tokens minted by `huddle token`, and connected clients
// that are all closed, the server stopped by PID and the database dropped at
// the end. `restart` stops the server and starts a new one on the same
// database (for the durability tests).

import { connectChat, openSocket } from "./chat-client.mjs";
import { TestDatabase } from "./chat-db.mjs";
import { loadDemoData, mintToken, startHuddle } from "./chat-harness.mjs";

export class ChatEnv {
  /**
   * @param {object} opts
   * @param {string} opts.label database name tag
   * @param {number} [opts.rateLimitPerMinute] default: a high limit so only the
   *   rate-limit tests meet it; pass null to run with the server's default
   */
  static async start(opts) {
    const db = await TestDatabase.create(opts.label);
    const env = new ChatEnv(db, opts);
    try {
      await loadDemoData(db.url);
      await env.startServer();
    } catch (err) {
      await env.close();
      throw err;
    }
    return env;
  }

  constructor(db, opts) {
    this.db = db;
    this.jwtSecret = `chat-suite-secret-${opts.label}-${process.pid}`;
    this.rateLimitPerMinute = opts.rateLimitPerMinute === undefined ? 100000 : opts.rateLimitPerMinute;
    this.server = undefined;
    this.url = undefined;
    this.clients = [];
    this.tokens = new Map();
    /** Every server process this env ran (for failure reports). */
    this.processes = [];
  }

  async startServer() {
    const { url, process: proc } = await startHuddle({
      databaseUrl: this.db.url,
      jwtSecret: this.jwtSecret,
      rateLimitPerMinute: this.rateLimitPerMinute ?? undefined,
    });
    this.url = url;
    this.server = proc;
    this.processes.push(proc);
  }

  /**
   * Stops the server by its PID (SIGKILL: a crash; SIGTERM: a shutdown) and
   * starts a new one on the same database. Clients of the old one are closed.
   * Resolves with the old process's exit status.
   */
  async restart(signal = "SIGKILL") {
    this.closeClients();
    const status = await this.server.stop(signal);
    await this.startServer();
    return status;
  }

  /** A valid token for demo user `userId`, from `huddle token` (cached). */
  async token(userId) {
    if (!this.tokens.has(userId)) this.tokens.set(userId, await mintToken(userId, this.jwtSecret));
    return this.tokens.get(userId);
  }

  /** A connected client of `userId` (auth:success received), closed by `close`. */
  async connect(userId, label = `user ${userId}`) {
    const client = await connectChat(this.url, await this.token(userId), label);
    this.clients.push(client);
    return client;
  }

  /** A handshake with `auth` as given: {client} or {connectError}. */
  async tryConnect(auth, label) {
    const outcome = await openSocket(this.url, auth, label);
    this.clients.push(outcome.client);
    return outcome;
  }

  closeClients() {
    for (const c of this.clients) c.close();
    this.clients = [];
  }

  /** The captured output of every server this env ran. */
  serverOutput() {
    return this.processes.map((p) => p.output()).join("\n");
  }

  /** Closes clients, stops the server by PID, drops the database. */
  async close() {
    this.closeClients();
    for (const p of this.processes) await p.stop("SIGTERM", 5000);
    await this.db.drop();
  }
}

/**
 * node:test's `it` bound to an env: a required timeout, and on failure the
 * server's captured output appended to the error (what the server logged
 * is usually the quickest way to the cause).
 */
export function envTest(it, getEnv) {
  return (name, options, fn) => {
    if (typeof options?.timeout !== "number") throw new Error(`test "${name}" needs an explicit { timeout }`);
    return it(name, options, async (t) => {
      try {
        await fn(t);
      } catch (err) {
        const env = getEnv();
        if (env && err && typeof err === "object") {
          err.message = `${err.message}\n\nserver output:\n${env.serverOutput()}`;
        }
        throw err;
      }
    });
  };
}
