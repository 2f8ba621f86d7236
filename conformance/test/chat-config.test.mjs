// Chat end-to-end, issue 4 items 2 and 10: configuration by flags with
// environment fallbacks (HUDDLE_ADDR, HUDDLE_DATABASE_URL, HUDDLE_JWT_SECRET,
// HUDDLE_RATE_LIMIT_PER_MINUTE), flags winning over the environment, a bad
// value stopping start-up with a line naming the setting, `huddle demo-data`
// safe to run twice, and the zero-config quick start (no database URL: the
// in-memory demo, printed tokens that work, a warning that nothing persists).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectChat } from "../lib/chat-client.mjs";
import { TestDatabase } from "../lib/chat-db.mjs";
import { loadDemoData, mintToken, runHuddle, runHuddleStatus, startHuddle } from "../lib/chat-harness.mjs";
import { assertFailedAck } from "../lib/chat-shapes.mjs";

const SECRET = `chat-config-secret-${process.pid}`;
let db;
/** Servers and clients of the current test, stopped/closed after it. */
let servers = [];
let clients = [];

before(async () => {
  db = await TestDatabase.create("config");
  await loadDemoData(db.url);
});
after(async () => {
  await db?.drop();
});

async function cleanup() {
  for (const c of clients) c.close();
  clients = [];
  for (const s of servers) await s.stop("SIGTERM", 5000);
  servers = [];
}

/** A node:test `it` that cleans up and reports the servers' output on failure. */
function test(name, options, fn) {
  return it(name, options, async () => {
    try {
      await fn();
    } catch (err) {
      if (err && typeof err === "object") err.message += `\n\nserver output:\n${servers.map((s) => s.output()).join("\n")}`;
      throw err;
    } finally {
      await cleanup();
    }
  });
}

async function start(opts) {
  const { url, process: proc } = await startHuddle(opts);
  servers.push(proc);
  return url;
}

async function connect(url, token, label) {
  const c = await connectChat(url, token, label);
  clients.push(c);
  return c;
}

/** Sends until refused (bounded); resolves with how many passed. */
async function burst(client, max) {
  for (let i = 1; i <= max; i++) {
    const ack = await client.send("project", 1, `burst ${i}`);
    if (!ack.ok) {
      assertFailedAck(ack, `send ${i}`, "RATE_LIMITED");
      return i - 1;
    }
  }
  return max;
}

describe("configuration (issue 4 item 10)", () => {
  test("every setting can come from the environment alone", { timeout: 40000 }, async () => {
    const url = await start({
      noAddr: true,
      env: {
        HUDDLE_ADDR: "127.0.0.1:0",
        HUDDLE_DATABASE_URL: db.url,
        HUDDLE_JWT_SECRET: SECRET,
        HUDDLE_RATE_LIMIT_PER_MINUTE: "3",
      },
    });
    const out = await runHuddle(["token", "--user", "3"], { env: { HUDDLE_JWT_SECRET: SECRET } });
    const token = out.split(/\s+/).find((w) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(w));
    assert.ok(token, `huddle token with HUDDLE_JWT_SECRET printed no JWT: ${out}`);
    const res3 = await connect(url, token, "user 3");
    assert.deepEqual(res3.auth, { userId: 3, userRole: "researcher" }, "HUDDLE_DATABASE_URL's users, HUDDLE_JWT_SECRET's key");
    await res3.mustJoin("project", 1);
    assert.equal(await burst(res3, 10), 3, "HUDDLE_RATE_LIMIT_PER_MINUTE=3 gives a burst of 3");
  });

  test("a flag wins over its environment variable", { timeout: 40000 }, async () => {
    const url = await start({
      databaseUrl: db.url,
      jwtSecret: SECRET,
      rateLimitPerMinute: 5,
      env: { HUDDLE_RATE_LIMIT_PER_MINUTE: "2", HUDDLE_JWT_SECRET: "not-the-secret-in-use" },
    });
    const res5 = await connect(url, await mintToken(5, SECRET), "user 5");
    await res5.mustJoin("project", 1);
    assert.equal(await burst(res5, 10), 5, "--rate-limit-per-minute 5 over HUDDLE_RATE_LIMIT_PER_MINUTE=2");
  });

  const bad = [
    ["--rate-limit-per-minute abc", ["--rate-limit-per-minute", "abc"], {}, /rate-limit-per-minute|RATE_LIMIT_PER_MINUTE/i],
    ["--rate-limit-per-minute 0", ["--rate-limit-per-minute", "0"], {}, /rate-limit-per-minute|RATE_LIMIT_PER_MINUTE/i],
    ["HUDDLE_RATE_LIMIT_PER_MINUTE=-5", [], { HUDDLE_RATE_LIMIT_PER_MINUTE: "-5" }, /rate-limit-per-minute|RATE_LIMIT_PER_MINUTE/i],
    ["--addr not-an-address", ["--addr", "not-an-address"], {}, /addr|HUDDLE_ADDR/i],
    ["HUDDLE_ADDR=127.0.0.1:99999", [], { HUDDLE_ADDR: "127.0.0.1:99999" }, /addr|HUDDLE_ADDR/i],
    ["--database-url not-a-url", ["--database-url", "not a url"], {}, /database[-_ ]url/i],
  ];
  for (const [what, args, env, names] of bad) {
    test(`${what} stops start-up with a line naming the setting`, { timeout: 30000 }, async () => {
      // Everything else valid: only the setting under test is wrong.
      const base = ["--jwt-secret", SECRET];
      if (!args.includes("--addr") && !env.HUDDLE_ADDR) base.push("--addr", "127.0.0.1:0");
      if (!args.includes("--database-url")) base.push("--database-url", db.url);
      const r = await runHuddleStatus([...base, ...args], { env, timeoutMs: 15000 });
      const output = `${r.stdout}\n${r.stderr}`;
      assert.equal(r.timedOut, false, `${what}: huddle kept running:\n${output}`);
      assert.notEqual(r.code, 0, `${what}: exit status 0:\n${output}`);
      assert.doesNotMatch(output, /huddle listening on/, `${what}: it started listening`);
      assert.ok(output.split("\n").some((line) => names.test(line)), `${what}: no line names the setting:\n${output}`);
    });
  }
});

describe("demo data and quick start (issue 4 item 2)", () => {
  test("huddle demo-data can run again on a loaded database", { timeout: 60000 }, async () => {
    await loadDemoData(db.url);
    const users = await db.query("SELECT id, first_name, last_name, role FROM users ORDER BY id");
    assert.deepEqual(users.map((u) => [Number(u.id), u.first_name, u.last_name, u.role]), [
      [1, "Ada", "Lovelace", "manager"], [2, "Grace", "Hopper", "manager"], [3, "Alan", "Turing", "researcher"],
      [4, "Katherine", "Johnson", "researcher"], [5, "Edsger", "Dijkstra", "researcher"],
    ]);
    const projects = await db.query("SELECT id, name, created_by FROM projects ORDER BY id");
    assert.deepEqual(projects.map((p) => [Number(p.id), p.name, Number(p.created_by)]), [[1, "Apollo", 1], [2, "Enigma", 2], [3, "Mercury", 2]]);
  });

  test("with no database URL, huddle prints working tokens for every demo user and warns that nothing persists", { timeout: 40000 }, async () => {
    const url = await start({});
    const proc = servers.at(-1);
    // The quick start may be printed around the listening line: wait (bounded) for five tokens.
    const deadline = Date.now() + 5000;
    let tokens = [];
    for (;;) {
      const text = `${proc.stdout}\n${proc.stderr}`;
      tokens = [...new Set(text.match(/[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g) ?? [])];
      if (tokens.length >= 5) break;
      assert.ok(Date.now() < deadline, `fewer than 5 tokens printed:\n${proc.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(`${proc.stdout}\n${proc.stderr}`, /persist/i, "a warning that nothing persists");
    const byUser = new Map();
    for (const token of tokens) {
      const c = await connect(url, token, "quick-start token");
      byUser.set(c.auth.userId, token);
    }
    assert.deepEqual([...byUser.keys()].sort(), [1, 2, 3, 4, 5], "one token per demo user");
    const res3 = await connect(url, byUser.get(3), "user 3 (quick start)");
    const room = ["project", 1];
    await res3.mustJoin(...room);
    assert.equal((await res3.mustSend(...room, "hello from the in-memory demo")).senderId, 3);
  });
});
