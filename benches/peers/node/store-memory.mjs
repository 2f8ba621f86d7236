// The in-memory store: the fixture's users, projects and tasks, and every message,
// kept per room in id order.

import { fixtureUser, PROJECT_CREATOR } from './fixture.mjs';
import { HISTORY_PAGE } from './rules.mjs';

export class MemoryStore {
  constructor(fixture) {
    this.users = new Map();
    this.projects = new Map();
    this.tasks = new Set();
    this.rooms = new Map();
    this.nextId = 1;
    for (let u = 1; u <= fixture.users; u++) this.users.set(u, fixtureUser(u));
    for (let p = 1; p <= fixture.projects; p++) {
      this.projects.set(p, { id: p, createdBy: PROJECT_CREATOR, grants: new Set() });
      for (let u = 1; u <= fixture.users; u++) this.tasks.add(u * 1_000_003 + p);
    }
  }

  async user(id) {
    return this.users.get(id) ?? null;
  }

  async roomFacts(user, room) {
    if (room.type !== 'project') return null;
    const project = this.projects.get(room.id);
    if (!project) return null;
    return {
      createdBy: project.createdBy,
      granted: project.grants.has(user.id),
      hasTask: this.tasks.has(user.id * 1_000_003 + room.id),
    };
  }

  async insert(user, room, content) {
    const now = new Date().toISOString();
    const message = {
      id: this.nextId++,
      roomType: room.type,
      roomId: room.id,
      senderId: user.id,
      type: 'text',
      content,
      fileId: null,
      fileName: null,
      fileSize: null,
      mimeType: null,
      replyToId: null,
      editedAt: null,
      deletedAt: null,
      createdAt: now,
      updatedAt: now,
      sender: { id: user.id, firstName: user.firstName, lastName: user.lastName },
      replyTo: null,
      file: null,
    };
    let list = this.rooms.get(room.name);
    if (!list) this.rooms.set(room.name, (list = []));
    list.push(message);
    return message;
  }

  async latest(room) {
    const list = this.rooms.get(room.name) ?? [];
    const page = list.slice(-HISTORY_PAGE);
    return { messages: page, hasMore: list.length > page.length, nextCursor: list.length > page.length ? page[0].id : undefined };
  }

  async close() {}
}
