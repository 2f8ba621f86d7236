// The Node.js peer of Huddle's end-to-end benchmarks: socket.io 4.x serving the
// Task Tracker chat events (chat.mjs), in memory or with Sequelize and MariaDB.
//
//   node server.mjs --port 3400 --jwt-secret S --fixture users=1010,projects=10 [--database-url mysql://root@127.0.0.1:3306/huddle_bench_node]
//
// Loopback only. Prints "listening on PORT" when ready; stops on SIGTERM / SIGINT.

import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';
import { parseFixture } from './fixture.mjs';
import { installChat } from './chat.mjs';
import { MemoryStore } from './store-memory.mjs';

function settings() {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '3400' },
      'jwt-secret': { type: 'string', default: process.env.HUDDLE_JWT_SECRET ?? 'huddle-bench-secret' },
      fixture: { type: 'string', default: 'users=1010,projects=10' },
      'database-url': { type: 'string' },
      'db-pool-max': { type: 'string', default: '16' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('invalid setting --port: must be 1 to 65535');
  if (!['127.0.0.1', '::1', 'localhost'].includes(values.host)) throw new Error('invalid setting --host: loopback only');
  const poolMax = Number(values['db-pool-max']);
  if (!Number.isInteger(poolMax) || poolMax < 1) throw new Error('invalid setting --db-pool-max: must be at least 1');
  let fixture;
  try {
    fixture = parseFixture(values.fixture);
  } catch (e) {
    throw new Error(`invalid setting --fixture: ${e.message}`);
  }
  return { host: values.host, port, jwtSecret: values['jwt-secret'], fixture, databaseUrl: values['database-url'], poolMax };
}

async function main() {
  const cfg = settings();
  let store;
  if (cfg.databaseUrl) {
    const { SequelizeStore } = await import('./store-sequelize.mjs');
    store = await SequelizeStore.open(cfg.databaseUrl, cfg.fixture, { poolMax: cfg.poolMax });
  } else {
    store = new MemoryStore(cfg.fixture);
  }
  const http = createServer();
  const io = new Server(http, { serveClient: false, transports: ['polling', 'websocket'] });
  installChat(io, store, { jwtSecret: cfg.jwtSecret });
  http.listen(cfg.port, cfg.host, () => console.log(`listening on ${cfg.port} (${cfg.databaseUrl ? 'sequelize+mariadb' : 'memory'})`));
  const stop = () => {
    io.close();
    store.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error(`node peer: ${e.message}`);
  process.exit(e.message.startsWith('invalid setting') ? 2 : 1);
});
