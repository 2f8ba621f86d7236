// The load-test fixture, as Huddle's `--fixture users=N,projects=P`: researchers
// 1..N and projects 1..P (created by user 1), one task per user in every project,
// so every user may join every project room through the normal researcher rule.

const MAX_USERS = 1_000_000;
const MAX_PROJECTS = 100_000;
const MAX_TASKS = 10_000_000;

export function parseFixture(text) {
  const found = {};
  for (const item of String(text).split(',')) {
    const [key, value, extra] = item.split('=').map((s) => s.trim());
    if (value === undefined || extra !== undefined) throw new Error(`fixture item ${JSON.stringify(item)} is not key=value`);
    if (key !== 'users' && key !== 'projects') throw new Error(`unknown fixture key ${JSON.stringify(key)}`);
    if (key in found) throw new Error(`fixture key ${key} is given twice`);
    const max = key === 'users' ? MAX_USERS : MAX_PROJECTS;
    if (!/^[0-9]+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new Error(`fixture ${key}=${JSON.stringify(value)} is not a whole number from 1 to ${max}`);
    }
    found[key] = Number(value);
  }
  for (const key of ['users', 'projects']) if (!(key in found)) throw new Error(`fixture key ${key} is missing`);
  if (found.users * found.projects > MAX_TASKS) throw new Error(`fixture needs more than ${MAX_TASKS} tasks`);
  return found;
}

export const fixtureUser = (id) => ({ id, firstName: 'User', lastName: String(id), role: 'researcher' });
export const PROJECT_CREATOR = 1;
