// Starts and stops the server under test: the `huddle conformance` binary
// (default, from $HUDDLE_BIN or ../target/debug/huddle), or with
// CONFORMANCE_SERVER=reference the socket.io reference implementation of the
// same fixtures (reference-server.mjs), used only to validate the tests.
//
// Every process is started on 127.0.0.1, waited for through its
// `huddle listening on http://ADDR` line (bounded), captured (stdout and stderr,
// shown when a test fails) and killed by its PID when the test file ends.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { after } from "node:test";

const here = path.dirname(fileURLToPath(import.meta.url));
const conformanceDir = path.resolve(here, "..");

/** Which server the suite drives: "huddle" (default) or "reference". */
export const serverKind = process.env.CONFORMANCE_SERVER === "reference" ? "reference" : "huddle";

/** The huddle binary: $HUDDLE_BIN, else ../target/debug/huddle relative to conformance/. */
export const huddleBin = process.env.HUDDLE_BIN
  ? path.resolve(process.env.HUDDLE_BIN)
  : path.resolve(conformanceDir, "..", "target", "debug", "huddle");

const LISTENING = /huddle listening on (http:\/\/[^\s]+)/;
/** Output kept per stream for failure reports (the tail is what matters). */
const MAX_CAPTURE = 256 * 1024;

/** Every child started by this test file and not yet seen exiting. */
const running = new Set();
/** Every child started by this test file, in start order (for failure reports). */
const started = [];

// Node runs each test file in its own process: when the file is done (pass or
// fail), kill whatever it started. `after` at module level is the file's root hook.
after(async () => {
  await Promise.all([...running].map((s) => s.kill("SIGKILL")));
});
// Last resort if the file's process dies some other way: synchronous kill by PID.
process.on("exit", () => {
  for (const s of running) {
    try {
      process.kill(s.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/**
 * One running server process.
 */
export class ServerProcess {
  constructor(child, description) {
    this.child = child;
    this.pid = child.pid;
    this.description = description;
    this.stdout = "";
    this.stderr = "";
    /** Resolves with {code, signal} when the process exits. */
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        running.delete(this);
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
    /** undefined while running. */
    this.exitStatus = undefined;
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      this.stdout = (this.stdout + d).slice(-MAX_CAPTURE);
    });
    child.stderr.on("data", (d) => {
      this.stderr = (this.stderr + d).slice(-MAX_CAPTURE);
    });
  }

  /** The captured output, for failure messages. */
  output(maxPerStream = 8000) {
    const tail = (s) => (s.length > maxPerStream ? `...${s.slice(-maxPerStream)}` : s);
    const status = this.exitStatus
      ? `exited code=${this.exitStatus.code} signal=${this.exitStatus.signal}`
      : "running";
    return [
      `--- ${this.description} (pid ${this.pid}, ${status}) stdout ---`,
      tail(this.stdout) || "(empty)",
      `--- stderr ---`,
      tail(this.stderr) || "(empty)",
    ].join("\n");
  }

  /** Sends `signal` to the process by its PID (no-op if it already exited). */
  signal(signal) {
    if (this.exitStatus) return;
    try {
      process.kill(this.pid, signal);
    } catch (err) {
      if (err.code !== "ESRCH") throw err;
    }
  }

  /** Sends `signal` and waits for the exit (SIGKILL cannot be refused). */
  async kill(signal = "SIGKILL") {
    this.signal(signal);
    return this.exited;
  }

  /**
   * Waits for the exit, bounded: rejects (leaving the process running for the
   * file's cleanup to kill) if it does not exit within timeoutMs.
   */
  async waitExit(timeoutMs) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.description} did not exit within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Starts the server under test in conformance mode and waits for its
 * listening line.
 *
 * @param {object} [opts]
 * @param {string} [opts.addr] HOST:PORT, default 127.0.0.1:0 (a free port).
 * @param {number} [opts.pingIntervalMs]
 * @param {number} [opts.pingTimeoutMs]
 * @param {number} [opts.maxPayload]
 * @param {number} [opts.connectTimeoutMs]
 * @param {number} [opts.startupTimeoutMs] how long to wait for the listening line (default 15 s).
 * @returns {Promise<{url: string, port: number, server: ServerProcess}>}
 */
export async function startServer(opts = {}) {
  const addr = opts.addr ?? "127.0.0.1:0";
  const args = ["conformance", "--addr", addr];
  if (opts.pingIntervalMs !== undefined) args.push("--ping-interval-ms", String(opts.pingIntervalMs));
  if (opts.pingTimeoutMs !== undefined) args.push("--ping-timeout-ms", String(opts.pingTimeoutMs));
  if (opts.maxPayload !== undefined) args.push("--max-payload", String(opts.maxPayload));
  if (opts.connectTimeoutMs !== undefined) args.push("--connect-timeout-ms", String(opts.connectTimeoutMs));

  let command;
  let commandArgs;
  if (serverKind === "reference") {
    command = process.execPath;
    commandArgs = [path.join(conformanceDir, "reference-server.mjs"), ...args];
  } else {
    if (!existsSync(huddleBin)) {
      throw new Error(
        `huddle binary not found at ${huddleBin}: build it with \`cargo build -p huddle-server\` ` +
          `or set HUDDLE_BIN (or CONFORMANCE_SERVER=reference to validate the tests)`,
      );
    }
    command = huddleBin;
    commandArgs = args;
  }

  const description = `${serverKind} ${commandArgs.join(" ")}`;
  const child = spawn(command, commandArgs, {
    cwd: conformanceDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "info", NO_COLOR: "1" },
  });
  const server = new ServerProcess(child, description);
  running.add(server);
  started.push(server);
  // A spawn failure (ENOENT, EACCES) arrives as an 'error' event, not an exit.
  const spawnError = new Promise((_, reject) => child.once("error", reject));

  const startupTimeoutMs = opts.startupTimeoutMs ?? 15000;
  let timer;
  let onData;
  try {
    const url = await Promise.race([
      new Promise((resolve) => {
        onData = () => {
          const m = LISTENING.exec(server.stdout) ?? LISTENING.exec(server.stderr);
          if (m) resolve(m[1].replace(/\/+$/, ""));
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
      }),
      server.exited.then((status) => {
        throw new Error(`exited (code=${status.code}, signal=${status.signal}) before listening`);
      }),
      spawnError,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no "huddle listening on http://ADDR" line within ${startupTimeoutMs} ms`)),
          startupTimeoutMs,
        );
      }),
    ]);
    const port = Number(new URL(url).port);
    return { url, port, server };
  } catch (err) {
    await server.kill("SIGKILL");
    throw new Error(`could not start ${description}: ${err.message}\n${server.output()}`);
  } finally {
    clearTimeout(timer);
    child.stdout.off("data", onData);
    child.stderr.off("data", onData);
  }
}

/**
 * The servers worth showing when a test fails: those still running, plus
 * those started since `mark` (a value of `serverMark()` taken when the test
 * began) even if they have exited since.
 */
export function serversForReport(mark) {
  return started.filter((s, i) => i >= mark || running.has(s));
}

/** A mark for `serversForReport`: how many servers this file has started so far. */
export function serverMark() {
  return started.length;
}
