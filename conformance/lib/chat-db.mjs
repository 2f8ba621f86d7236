// MariaDB side of the chat end-to-end suite (issue 4 item 9): one database per
// test file, created empty on the test server (default mysql://root@127.0.0.1:3306,
// overridable by HUDDLE_TEST_DATABASE_URL) and dropped when the file ends; plus
// the few direct reads and writes the tests need to check what `huddle` stored
// (row counts, stored content) and to back-date `messages.created_at` for the
// 24-hour edit/delete window without waiting.

import crypto from "node:crypto";
import mysql from "mysql2/promise";

/** The MariaDB server the tests use, without a database path. */
export function serverUrl() {
  const raw = process.env.HUDDLE_TEST_DATABASE_URL ?? "mysql://root@127.0.0.1:3306";
  const url = new URL(raw);
  if (url.protocol !== "mysql:") {
    throw new Error(`HUDDLE_TEST_DATABASE_URL must be a mysql:// URL, got ${raw}`);
  }
  url.pathname = "";
  url.search = "";
  url.hash = "";
  return url;
}

/** mysql2 connection options for `url` (a URL object), optionally on `database`. */
function connectionOptions(url, database) {
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: url.username ? decodeURIComponent(url.username) : "root",
    password: url.password ? decodeURIComponent(url.password) : "",
    database,
    // Dates are compared as strings in SQL (interval arithmetic happens in the
    // server), so mysql2 never converts them with the local time zone.
    dateStrings: true,
    connectTimeout: 5000,
  };
}

/**
 * One empty database made for one test file. `url` is what `huddle` is given
 * (`--database-url`); `query` runs SQL on it through its own connection.
 */
export class TestDatabase {
  /** @param {string} label short tag for the database name (letters, digits, _). */
  static async create(label) {
    const server = serverUrl();
    const suffix = crypto.randomBytes(4).toString("hex");
    const name = `huddle_chat_${label}_${process.pid}_${suffix}`.slice(0, 64);
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
    const admin = await mysql.createConnection(connectionOptions(server));
    try {
      await admin.query(`CREATE DATABASE \`${name}\``);
    } finally {
      await admin.end();
    }
    const conn = await mysql.createConnection(connectionOptions(server, name));
    const url = new URL(server.toString());
    url.pathname = `/${name}`;
    return new TestDatabase(name, url.toString(), conn, server);
  }

  constructor(name, url, conn, server) {
    this.name = name;
    this.url = url;
    this.conn = conn;
    this.server = server;
  }

  /** Runs one statement with `?` parameters; resolves with the rows (or result header). */
  async query(sql, params = []) {
    const [rows] = await this.conn.query(sql, params);
    return rows;
  }

  /** How many message rows are stored (deleted ones included: deletes are soft). */
  async countMessages(where = "1=1", params = []) {
    const rows = await this.query(`SELECT COUNT(*) AS n FROM messages WHERE ${where}`, params);
    return Number(rows[0].n);
  }

  /** The stored row of message `id` (or undefined). */
  async messageRow(id) {
    const rows = await this.query("SELECT * FROM messages WHERE id = ?", [id]);
    return rows[0];
  }

  /** How many reads are stored for (message, user). */
  async countReads(messageId, userId) {
    const rows = await this.query(
      "SELECT COUNT(*) AS n FROM message_reads WHERE message_id = ? AND user_id = ?",
      [messageId, userId],
    );
    return Number(rows[0].n);
  }

  /**
   * Moves the stored `created_at` of message `id` `hours` hours into the past,
   * relative to now, computed by MariaDB (so no time zone is involved).
   * Resolves with the new stored value.
   */
  async backdate(id, hours) {
    const res = await this.query(
      "UPDATE messages SET created_at = created_at - INTERVAL ? HOUR WHERE id = ?",
      [hours, id],
    );
    if (res.affectedRows !== 1) throw new Error(`back-dating message ${id}: ${res.affectedRows} rows changed`);
    const rows = await this.query("SELECT created_at FROM messages WHERE id = ?", [id]);
    return rows[0].created_at;
  }

  /** Drops the database and closes the connection (best effort on the close). */
  async drop() {
    try {
      await this.conn.end();
    } catch {
      // the connection may already be gone; the DROP below uses its own
    }
    const admin = await mysql.createConnection(connectionOptions(this.server));
    try {
      await admin.query(`DROP DATABASE IF EXISTS \`${this.name}\``);
    } finally {
      await admin.end();
    }
  }
}
