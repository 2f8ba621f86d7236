// Test harness shared by every test file: a `test` wrapper that closes every
// client a test opened and, when the test fails, appends the output of the
// servers it ran to the error; real socket.io-client connections with
// readable, bounded waits (no bare sleeps).

import { after, test as nodeTest } from "node:test";
import { io } from "socket.io-client";
import { serverMark, serversForReport } from "./server.mjs";

/** Sockets (socket.io-client or engine.io-client) opened by the current test. */
const openClients = new Set();

// A test cancelled by its timeout never reaches its own cleanup: close what is
// left when the file ends, so reconnecting clients cannot keep it alive.
after(() => closeAll());

/**
 * node:test's `test`, plus: every client made with `client()`/`connect()` is
 * closed when the test ends, and a failure carries the servers' output.
 * A timeout is required so that nothing can hang the run.
 */
export function test(name, options, fn) {
  if (typeof options?.timeout !== "number") {
    throw new Error(`test "${name}" needs an explicit { timeout }`);
  }
  return nodeTest(name, options, async (t) => {
    const mark = serverMark();
    try {
      await fn(t);
    } catch (err) {
      const logs = serversForReport(mark)
        .map((s) => s.output())
        .join("\n");
      if (err && typeof err === "object" && logs) {
        err.message = `${err.message}\n\nserver output:\n${logs}`;
      }
      throw err;
    } finally {
      closeAll();
    }
  });
}

/** Closes every client the current test opened. */
export function closeAll() {
  for (const c of openClients) {
    try {
      if (typeof c.disconnect === "function" && c.io) {
        // socket.io-client Socket: also close its Manager (its engine connection).
        c.disconnect();
        c.io.disconnect();
      } else {
        c.close();
      }
    } catch {
      // closing is best effort
    }
  }
  openClients.clear();
}

/** Registers any closable client (e.g. a raw engine.io-client Socket). */
export function track(c) {
  openClients.add(c);
  return c;
}

/**
 * Creates a socket.io-client socket with its own connection (forceNew), no
 * automatic reconnection unless asked, and a bounded connect timeout.
 *
 * @param {string} url server base URL, e.g. http://127.0.0.1:1234
 * @param {object} [opts] socket.io-client options plus `nsp` (default "/")
 */
export function client(url, opts = {}) {
  const { nsp = "/", ...rest } = opts;
  const socket = io(url + nsp, {
    forceNew: true,
    reconnection: false,
    timeout: 5000,
    ...rest,
  });
  return track(socket);
}

/**
 * Opens a socket and waits for `connect`; rejects with a readable message on
 * connect_error or after timeoutMs.
 */
export async function connect(url, opts = {}, timeoutMs = 5000) {
  const socket = client(url, opts);
  await waitConnected(socket, timeoutMs, `connect to ${opts.nsp ?? "/"} ${describeOpts(opts)}`);
  return socket;
}

/** Waits for `connect` on a socket (resolves at once if already connected). */
export function waitConnected(socket, timeoutMs, what = "connect") {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: no "connect" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const onError = (err) => {
      cleanup();
      reject(new Error(`${what}: connect_error "${err.message}" (data: ${JSON.stringify(err.data)})`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

/**
 * Resolves with the arguments (as an array) of the next `event` on `emitter`,
 * or rejects after timeoutMs with a message naming what was awaited.
 */
export function nextEvent(emitter, event, timeoutMs, what = `event "${event}"`) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`expected ${what} within ${timeoutMs} ms, got nothing`));
    }, timeoutMs);
    const handler = (...args) => {
      clearTimeout(timer);
      emitter.off(event, handler);
      resolve(args);
    };
    emitter.on(event, handler);
  });
}

/**
 * Emits `event` with `args` and resolves with the acknowledgement's arguments
 * (as an array); rejects after timeoutMs with a readable message.
 */
export function ack(socket, event, args = [], timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no acknowledgement for "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.emit(event, ...args, (...reply) => {
      clearTimeout(timer);
      resolve(reply);
    });
  });
}

/**
 * Calls `probe` (async) until it returns a truthy value, waiting intervalMs
 * between calls, for at most timeoutMs. Used only where the server offers no
 * event to await (e.g. room membership seen through the `room-size` fixture).
 */
export async function waitUntil(probe, { timeoutMs, intervalMs = 20, what }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs} ms (last probe: ${JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Runs async `fn` over `items` with at most `limit` in flight; results in order. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** The engine transport a socket.io-client socket is on now ("polling" | "websocket"). */
export function transportOf(socket) {
  return socket.io.engine?.transport?.name;
}

/**
 * Waits until the socket's engine is on transport `name` (an upgrade to it
 * completing), bounded; resolves at once if it already is.
 */
export async function waitTransport(socket, name, timeoutMs = 5000) {
  if (transportOf(socket) === name) return;
  await nextEvent(socket.io.engine, "upgrade", timeoutMs, `the upgrade to ${name} (now on ${transportOf(socket)})`);
  if (transportOf(socket) !== name) {
    throw new Error(`expected transport ${name} after the upgrade, got ${transportOf(socket)}`);
  }
}

/** The transport configurations every feature is exercised on. */
export const TRANSPORTS = [
  { label: "polling only", opts: { transports: ["polling"] }, final: "polling" },
  { label: "websocket only", opts: { transports: ["websocket"] }, final: "websocket" },
  { label: "polling upgraded to websocket", opts: {}, final: "websocket" },
];

function describeOpts(opts) {
  return opts.transports ? `[${opts.transports.join(",")}]` : "[default transports]";
}
