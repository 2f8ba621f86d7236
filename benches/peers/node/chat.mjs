// The Task Tracker chat events on a socket.io Server, the same ones Huddle serves
// and the load generator uses: JWT auth in the handshake (auth.token), room:join,
// message:send -> message:new to the whole room (sender included), acks
// {ok:true, message} / {ok:false, error:{code, message}}. Access is checked on every
// join and again on every send, as Huddle does.

import jwt from 'jsonwebtoken';
import { ChatError, allows, parseRoom, parseSend } from './rules.mjs';

function fail(socket, ack, err, event = 'error') {
  const code = err instanceof ChatError ? err.code : 'INTERNAL';
  const message = err instanceof ChatError ? err.message : 'internal error';
  if (!(err instanceof ChatError)) console.error(err);
  socket.emit(event, { message, code });
  if (typeof ack === 'function') ack({ ok: false, error: { code, message } });
}

async function authorize(store, user, room) {
  const facts = await store.roomFacts(user, room);
  if (!facts) throw new ChatError('ROOM_NOT_FOUND', `${room.type} ${room.id} does not exist`);
  if (!allows(user, facts)) throw new ChatError('ROOM_FORBIDDEN', `you do not have access to ${room.type} ${room.id}`);
}

function memberCount(io, room) {
  const ns = io.of('/');
  const users = new Set();
  for (const sid of ns.adapter.rooms.get(room) ?? []) {
    const s = ns.sockets.get(sid);
    if (s) users.add(s.data.user.id);
  }
  return users.size;
}

export function installChat(io, store, { jwtSecret }) {
  io.use(async (socket, next) => {
    const refuse = (code, message) => {
      const err = new Error(message);
      err.data = { code };
      next(err);
    };
    const token = socket.handshake.auth?.token;
    if (typeof token !== 'string' || !token) return refuse('AUTH_REQUIRED', 'authentication required');
    let claims;
    try {
      claims = jwt.verify(token, jwtSecret, { algorithms: ['HS256'] });
    } catch (e) {
      return refuse(e.name === 'TokenExpiredError' ? 'AUTH_EXPIRED' : 'AUTH_INVALID', 'invalid token');
    }
    if (typeof claims.exp !== 'number') return refuse('AUTH_INVALID', 'token has no exp');
    const userId = Number(claims.sub);
    if (!Number.isSafeInteger(userId) || userId < 1) return refuse('AUTH_INVALID', 'bad sub');
    try {
      const user = await store.user(userId);
      if (!user) return refuse('USER_NOT_FOUND', 'unknown user');
      socket.data.user = { id: Number(user.id), firstName: user.firstName, lastName: user.lastName, role: user.role };
      next();
    } catch (e) {
      console.error(e);
      refuse('DB_UNAVAILABLE', 'database unavailable');
    }
  });

  io.on('connection', (socket) => {
    const user = socket.data.user;
    socket.emit('auth:success', { userId: user.id, userRole: user.role });

    socket.on('room:join', async (data, ack) => {
      let room;
      try {
        room = parseRoom(data, 'type', 'id');
        await authorize(store, user, room);
        const history = await store.latest(room);
        socket.join(room.name);
        const joined = { roomType: room.type, roomId: room.id, memberCount: memberCount(io, room.name) };
        socket.emit('room:joined', joined);
        socket.emit('message:history', { ...history, roomType: room.type, roomId: room.id });
        if (typeof ack === 'function') ack({ ok: true, ...joined });
      } catch (err) {
        const code = err instanceof ChatError ? err.code : 'INTERNAL';
        const message = err instanceof ChatError ? err.message : 'internal error';
        socket.emit('room:error', { message, roomType: data?.type, roomId: data?.id });
        if (typeof ack === 'function') ack({ ok: false, error: { code, message } });
      }
    });

    socket.on('room:leave', (data, ack) => {
      try {
        const room = parseRoom(data, 'type', 'id');
        socket.leave(room.name);
        socket.emit('room:left', { roomType: room.type, roomId: room.id });
        if (typeof ack === 'function') ack({ ok: true, roomType: room.type, roomId: room.id });
      } catch (err) {
        fail(socket, ack, err, 'room:error');
      }
    });

    socket.on('message:send', async (data, ack) => {
      try {
        const { room, content } = parseSend(data);
        if (!socket.rooms.has(room.name)) throw new ChatError('NOT_IN_ROOM', `join ${room.name} before sending to it`);
        await authorize(store, user, room);
        const message = await store.insert(user, room, content);
        io.to(room.name).emit('message:new', { message });
        if (typeof ack === 'function') ack({ ok: true, message });
      } catch (err) {
        fail(socket, ack, err);
      }
    });
  });
}
