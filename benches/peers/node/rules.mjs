// What the chat checks before it acts, as Huddle does: payload shape, text rules,
// sanitising, and the access rules (spec: "Room Access Rules").

export const MAX_CONTENT_CHARS = 10_000;
export const HISTORY_PAGE = 50;

export class ChatError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const isRoomType = (t) => t === 'project' || t === 'study';
const isId = (n) => Number.isSafeInteger(n) && n > 0;

export function parseRoom(data, typeKey, idKey) {
  if (!data || typeof data !== 'object') throw new ChatError('INVALID_PAYLOAD', 'payload must be an object');
  const type = data[typeKey];
  const id = data[idKey];
  if (!isRoomType(type)) throw new ChatError('INVALID_PAYLOAD', `${typeKey} must be project or study`);
  if (!isId(id)) throw new ChatError('INVALID_PAYLOAD', `${idKey} must be a positive integer`);
  return { type, id, name: `${type}:${id}` };
}

// Tags would reach other clients as markup: removed (the load's content has none, so
// every server takes its cheap path here).
const MARKUP = /<[a-zA-Z/!?]/;
const TAG = /<[a-zA-Z/!?][^>]*>?/g;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

export function sanitize(text) {
  let out = text.replace(/\r\n?/g, '\n').replace(CONTROL, '');
  for (let i = 0; i < 4 && MARKUP.test(out); i++) out = out.replace(TAG, '');
  return out;
}

export function parseSend(data) {
  const room = parseRoom(data, 'roomType', 'roomId');
  const type = data.type ?? 'text';
  if (type === 'image' || type === 'file') throw new ChatError('UNSUPPORTED_TYPE', 'image and file messages are not supported');
  if (type !== 'text') throw new ChatError('INVALID_PAYLOAD', 'type must be text, image or file');
  if (typeof data.content !== 'string' || data.content.trim() === '') throw new ChatError('CONTENT_EMPTY', 'content must not be empty');
  // Unicode code points, as sent.
  let chars = 0;
  for (const _ of data.content) if (++chars > MAX_CONTENT_CHARS) throw new ChatError('CONTENT_TOO_LONG', `content is longer than ${MAX_CONTENT_CHARS} characters`);
  return { room, content: sanitize(data.content) };
}

// The access rules: managers reach what they created or were granted; researchers
// reach projects where they have a task. `facts` come from the store.
export function allows(user, facts) {
  if (!facts) return false;
  if (user.role === 'manager') return facts.createdBy === user.id || facts.granted;
  return facts.hasTask;
}
