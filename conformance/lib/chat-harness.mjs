// Process side of the chat end-to-end suite (issue 4 items 2, 9, 10): runs the
// `huddle` binary ($HUDDLE_BIN, else ../target/debug/huddle) as the chat server
// on a test database, loads the demo data with `huddle demo-data`, mints tokens
// with `huddle token`, and builds the hostile tokens (expired, wrong key,
// `alg: none`...) that `huddle token` rightly refuses to make.
//
// Every server is started on 127.0.0.1:0, awaited through its
// `huddle listening on http://ADDR` line (bounded), its output captured for
// failure reports, and stopped by its PID; the file's process kills whatever is
// left by PID when it exits.

import { execFile, spawn } from "node:child_process";
import crypto from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const conformanceDir = path.resolve(here, "..");

/** The huddle binary under test. */
export const HUDDLE_BIN = process.env.HUDDLE_BIN
  ? path.resolve(process.env.HUDDLE_BIN)
  : path.resolve(conformanceDir, "..", "target", "debug", "huddle");

/**
 * Which server the suite drives: "huddle" (default), or with
 * HUDDLE_CHAT_SERVER=reference the reference implementation in
 * chat-reference-server.mjs, used only to validate the suite itself.
 */
export const chatServerKind = process.env.HUDDLE_CHAT_SERVER === "reference" ? "reference" : "huddle";

/** [command, leading args] that run `huddle ARGS...` (or the reference with the same ARGS). */
function command() {
  if (chatServerKind === "reference") return [process.execPath, [path.join(here, "chat-reference-server.mjs")]];
  requireBinary();
  return [HUDDLE_BIN, []];
}

/** The demo users of issue 4 item 2. */
export const DEMO_USERS = Object.freeze({
  1: Object.freeze({ id: 1, firstName: "Ada", lastName: "Lovelace", role: "manager" }),
  2: Object.freeze({ id: 2, firstName: "Grace", lastName: "Hopper", role: "manager" }),
  3: Object.freeze({ id: 3, firstName: "Alan", lastName: "Turing", role: "researcher" }),
  4: Object.freeze({ id: 4, firstName: "Katherine", lastName: "Johnson", role: "researcher" }),
  5: Object.freeze({ id: 5, firstName: "Edsger", lastName: "Dijkstra", role: "researcher" }),
});

/**
 * Who may join which room with the demo data (issue 4 item 2): project 3 was
 * created by 2 and granted to 1; studies 1, 2 are in project 1, 3 in project 2,
 * 4 in project 3; researchers see what their tasks are in.
 */
export const DEMO_ACCESS = Object.freeze({
  1: { project: [1, 3], study: [1, 2, 4] },
  2: { project: [2, 3], study: [3, 4] },
  3: { project: [1], study: [1] },
  4: { project: [2], study: [3] },
  5: { project: [1], study: [] },
});

/** Every room of the access table: the demo rooms plus one unknown of each type. */
export const ACCESS_ROOMS = Object.freeze([
  ["project", 1], ["project", 2], ["project", 3], ["project", 99],
  ["study", 1], ["study", 2], ["study", 3], ["study", 4], ["study", 99],
]);

const LISTENING = /huddle listening on (http:\/\/\S+)/;
const MAX_CAPTURE = 256 * 1024;

/** Every huddle process this file started and has not yet seen exit. */
const running = new Set();
process.on("exit", () => {
  for (const p of running) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

function requireBinary() {
  if (!existsSync(HUDDLE_BIN)) {
    throw new Error(
      `huddle binary not found at ${HUDDLE_BIN}: build it with \`cargo build -p huddle-server\` or set HUDDLE_BIN`,
    );
  }
}

/**
 * Runs `huddle ARGS...` to completion (bounded) and resolves with its stdout;
 * rejects with the exit status and both streams when it fails.
 */
export function runHuddle(args, { timeoutMs = 60000, env = {} } = {}) {
  const [cmd, lead] = command();
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      [...lead, ...args],
      { cwd: conformanceDir, timeout: timeoutMs, killSignal: "SIGKILL", env: childEnv(env), maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`huddle ${args.join(" ")} failed (${err.message.split("\n")[0]})\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

function childEnv(extra = {}) {
  // Only what a test passes configures the server under test: drop any HUDDLE_*
  // setting of the calling shell (HUDDLE_BIN and HUDDLE_TEST_* are the suite's own).
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("HUDDLE_")) env[k] = v;
  }
  env.RUST_LOG = process.env.RUST_LOG ?? "info";
  env.NO_COLOR = "1";
  return { ...env, ...extra };
}

/**
 * Runs `huddle ARGS...` expecting it to end by itself within timeoutMs (it is
 * killed by PID after that); resolves with {code, signal, stdout, stderr, timedOut}.
 */
export function runHuddleStatus(args, { timeoutMs = 15000, env = {} } = {}) {
  const [cmd, lead] = command();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...lead, ...args], { cwd: conformanceDir, stdio: ["ignore", "pipe", "pipe"], env: childEnv(env) });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d) => { stdout += d; });
    child.stderr.setEncoding("utf8").on("data", (d) => { stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Loads the demo data into the database at `databaseUrl`. */
export async function loadDemoData(databaseUrl) {
  await runHuddle(["demo-data", "--database-url", databaseUrl]);
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** `huddle token --user N [--ttl=TTL] --jwt-secret S` (TTL such as 90s, 15m, 1h): the JWT it prints. */
export async function mintToken(userId, jwtSecret, { ttl } = {}) {
  const args = ["token", "--user", String(userId), "--jwt-secret", jwtSecret];
  if (ttl !== undefined) args.push(`--ttl=${ttl}`);
  const out = await runHuddle(args);
  const token = out.split(/\s+/).find((w) => JWT_SHAPE.test(w));
  if (!token) throw new Error(`huddle ${args.join(" ")} printed no JWT:\n${out}`);
  return token;
}

const b64url = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/**
 * Signs `claims` as an HS256 JWT with `secret` (or, with alg "none", leaves it
 * unsigned). Used for the tokens `huddle token` never makes: expired ones,
 * unknown users, wrong keys, `alg: none`, a missing `exp`.
 */
export function craftToken(claims, secret, { alg = "HS256" } = {}) {
  const head = `${b64url({ alg, typ: "JWT" })}.${b64url(claims)}`;
  if (alg === "none") return `${head}.`;
  if (alg !== "HS256") throw new Error(`craftToken signs HS256 or none, not ${alg}`);
  const sig = crypto.createHmac("sha256", secret).update(head).digest("base64url");
  return `${head}.${sig}`;
}

/** Seconds since the epoch, for `exp`/`iat` claims. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** One running `huddle` chat server. */
export class HuddleProcess {
  constructor(child, description) {
    this.child = child;
    this.pid = child.pid;
    this.description = description;
    this.stdout = "";
    this.stderr = "";
    this.exitStatus = undefined;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        running.delete(this);
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      this.stdout = (this.stdout + d).slice(-MAX_CAPTURE);
    });
    child.stderr.on("data", (d) => {
      this.stderr = (this.stderr + d).slice(-MAX_CAPTURE);
    });
  }

  /** The tail of the captured output, for failure messages. */
  output(maxPerStream = 4000) {
    const tail = (s) => (s.length > maxPerStream ? `...${s.slice(-maxPerStream)}` : s);
    const status = this.exitStatus
      ? `exited code=${this.exitStatus.code} signal=${this.exitStatus.signal}`
      : "running";
    return [
      `--- ${this.description} (pid ${this.pid}, ${status}) stdout ---`,
      tail(this.stdout) || "(empty)",
      "--- stderr ---",
      tail(this.stderr) || "(empty)",
    ].join("\n");
  }

  /**
   * Stops the process by its PID with `signal`; when a polite signal is not
   * obeyed within graceMs, SIGKILL follows. Resolves with the exit status.
   */
  async stop(signal = "SIGTERM", graceMs = 10000) {
    if (this.exitStatus) return this.exitStatus;
    try {
      process.kill(this.pid, signal);
    } catch (err) {
      if (err.code !== "ESRCH") throw err;
    }
    if (signal === "SIGKILL") return this.exited;
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve("late"), graceMs);
    });
    const first = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (first === "late") {
      try {
        process.kill(this.pid, "SIGKILL");
      } catch (err) {
        if (err.code !== "ESRCH") throw err;
      }
      const status = await this.exited;
      return { ...status, forced: true };
    }
    return first;
  }
}

/**
 * Starts `huddle` serving the chat on `databaseUrl` and waits for its
 * listening line. Resolves with {url, process}.
 *
 * @param {object} opts
 * @param {string} [opts.databaseUrl] omitted: no --database-url flag
 * @param {string} [opts.jwtSecret] omitted: no --jwt-secret flag
 * @param {number} [opts.rateLimitPerMinute] omitted: the server's default
 * @param {string[]} [opts.extraArgs]
 * @param {object} [opts.env] extra environment (HUDDLE_* settings)
 * @param {boolean} [opts.noAddr] no --addr flag (HUDDLE_ADDR in opts.env then)
 * @param {number} [opts.startupTimeoutMs] default 30 s (migrations run first)
 */
export async function startHuddle(opts) {
  const [cmd, lead] = command();
  const args = opts.noAddr ? [] : ["--addr", "127.0.0.1:0"];
  if (opts.databaseUrl !== undefined) args.push("--database-url", opts.databaseUrl);
  if (opts.jwtSecret !== undefined) args.push("--jwt-secret", opts.jwtSecret);
  if (opts.rateLimitPerMinute !== undefined) {
    args.push("--rate-limit-per-minute", String(opts.rateLimitPerMinute));
  }
  args.push(...(opts.extraArgs ?? []));
  const envText = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v} `).join("");
  const description = `${envText}${chatServerKind} ${args.join(" ")}`;
  const child = spawn(cmd, [...lead, ...args], { cwd: conformanceDir, stdio: ["ignore", "pipe", "pipe"], env: childEnv(opts.env) });
  const proc = new HuddleProcess(child, description);
  running.add(proc);
  const spawnError = new Promise((_, reject) => child.once("error", reject));
  const startupTimeoutMs = opts.startupTimeoutMs ?? 30000;
  let timer;
  let onData;
  try {
    const url = await Promise.race([
      new Promise((resolve) => {
        onData = () => {
          const m = LISTENING.exec(proc.stdout) ?? LISTENING.exec(proc.stderr);
          if (m) resolve(m[1].replace(/\/+$/, ""));
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
      }),
      proc.exited.then((s) => {
        throw new Error(`exited (code=${s.code}, signal=${s.signal}) before listening`);
      }),
      spawnError,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no "huddle listening on http://ADDR" line within ${startupTimeoutMs} ms`)),
          startupTimeoutMs,
        );
      }),
    ]);
    return { url, process: proc };
  } catch (err) {
    await proc.stop("SIGKILL");
    throw new Error(`could not start ${description}: ${err.message}\n${proc.output()}`);
  } finally {
    clearTimeout(timer);
    if (onData) {
      child.stdout.off("data", onData);
      child.stderr.off("data", onData);
    }
  }
}
