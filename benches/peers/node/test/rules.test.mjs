import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFixture } from '../fixture.mjs';
import { allows, parseSend, sanitize, ChatError } from '../rules.mjs';
import { MemoryStore } from '../store-memory.mjs';

test('fixture specs parse like Huddle\'s and bad ones are refused', () => {
  assert.deepEqual(parseFixture('users=5000,projects=400'), { users: 5000, projects: 400 });
  assert.deepEqual(parseFixture(' projects = 2 , users=3 '), { users: 3, projects: 2 });
  for (const bad of ['users=5', 'users=0,projects=1', 'users=x,projects=1', 'users=1,rooms=2', 'users=1,users=2,projects=1']) {
    assert.throws(() => parseFixture(bad), Error, bad);
  }
});

test('message:send payloads are checked and sanitised', () => {
  const ok = parseSend({ roomType: 'project', roomId: 3, content: 'a <b>bold</b> 1 < 2', type: 'text' });
  assert.equal(ok.room.name, 'project:3');
  assert.equal(ok.content, 'a bold 1 < 2');
  assert.equal(sanitize('lg 1 2 3 4 ....'), 'lg 1 2 3 4 ....');
  const code = (data) => {
    try {
      parseSend(data);
    } catch (e) {
      assert.ok(e instanceof ChatError);
      return e.code;
    }
    return 'accepted';
  };
  assert.equal(code({ roomType: 'project', roomId: 1, content: '   ' }), 'CONTENT_EMPTY');
  assert.equal(code({ roomType: 'project', roomId: 1, content: 'x'.repeat(10_001) }), 'CONTENT_TOO_LONG');
  assert.equal(code({ roomType: 'project', roomId: 1, content: '😀'.repeat(10_000) }), 'accepted');
  assert.equal(code({ roomType: 'room', roomId: 1, content: 'x' }), 'INVALID_PAYLOAD');
  assert.equal(code({ roomType: 'project', roomId: 1, content: 'x', type: 'image' }), 'UNSUPPORTED_TYPE');
});

test('the memory store answers the access rules from the fixture', async () => {
  const store = new MemoryStore({ users: 3, projects: 2 });
  const user = await store.user(2);
  assert.equal(user.role, 'researcher');
  assert.equal(allows(user, await store.roomFacts(user, { type: 'project', id: 2 })), true);
  assert.equal(await store.roomFacts(user, { type: 'project', id: 3 }), null);
  assert.equal(await store.user(4), null);
  const manager = { id: 9, role: 'manager' };
  assert.equal(allows(manager, await store.roomFacts(manager, { type: 'project', id: 1 })), false);
  const room = { type: 'project', id: 1, name: 'project:1' };
  for (let i = 0; i < 60; i++) await store.insert(user, room, `m${i}`);
  const page = await store.latest(room);
  assert.equal(page.messages.length, 50);
  assert.equal(page.messages[0].content, 'm10');
  assert.equal(page.hasMore, true);
  assert.equal(page.messages[49].sender.lastName, '2');
});
