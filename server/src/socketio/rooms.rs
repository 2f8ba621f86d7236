//! The room index of one namespace: which sockets are in which room, and the
//! selection of a broadcast's recipients (the "adapter" of socket.io, in memory).
//!
//! Every socket is a member of the room named by its own id (as in socket.io), so a
//! room selection can address one socket, and "everyone but the sender" is
//! "except the sender's own room".
//!
//! The index sits behind a plain `std::sync::Mutex`, never an async lock, and it is
//! never held across an `.await`: every operation is a few hash-map updates or one
//! pass collecting handles, done inside one short critical section. The recipients
//! are collected first and the lock released before anything is sent, so a send
//! (which takes the recipient session's own queue lock) never nests inside it.
//!
//! Chat traffic broadcasts to the same room over and over while its membership
//! rarely changes, so each room keeps the list of its members' handles once built
//! (a shared snapshot, dropped by any join or leave): a broadcast to one room costs
//! one reference count under the lock instead of a lookup per member.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// A room or socket id, shared between the index's maps without copying.
pub(crate) type Name = Arc<str>;

/// Who a broadcast goes to: members of any of `rooms` (everyone in the namespace when
/// empty), minus members of any of `except`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Selection {
    pub(crate) rooms: Vec<Name>,
    pub(crate) except: Vec<Name>,
}

struct Member<T> {
    sid: Name,
    handle: T,
    rooms: HashSet<Name>,
}

struct Room<T> {
    sids: HashSet<Name>,
    /// The members' handles, built by the first broadcast after a change.
    snapshot: Option<Arc<[T]>>,
}

impl<T> Default for Room<T> {
    fn default() -> Self {
        Room {
            sids: HashSet::new(),
            snapshot: None,
        }
    }
}

impl<T> Room<T> {
    fn insert(&mut self, sid: Name) -> bool {
        let added = self.sids.insert(sid);
        if added {
            self.snapshot = None;
        }
        added
    }

    fn remove(&mut self, sid: &str) -> bool {
        let removed = self.sids.remove(sid);
        if removed {
            self.snapshot = None;
        }
        removed
    }
}

struct Index<T> {
    members: HashMap<Name, Member<T>>,
    rooms: HashMap<Name, Room<T>>,
}

/// Room membership of the sockets of one namespace; `T` is the socket handle.
pub(crate) struct RoomIndex<T> {
    inner: Mutex<Index<T>>,
}

impl<T: Clone> RoomIndex<T> {
    pub(crate) fn new() -> Self {
        RoomIndex {
            inner: Mutex::new(Index {
                members: HashMap::new(),
                rooms: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Index<T>> {
        // Each critical section leaves the maps consistent before anything that could
        // panic, so the data behind a poisoned lock is still sound.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a connected socket, a member of its own room `sid`.
    pub(crate) fn insert(&self, sid: &Name, handle: T) {
        let mut index = self.lock();
        let mut rooms = HashSet::new();
        rooms.insert(sid.clone());
        index.members.insert(
            sid.clone(),
            Member {
                sid: sid.clone(),
                handle,
                rooms,
            },
        );
        index
            .rooms
            .entry(sid.clone())
            .or_default()
            .insert(sid.clone());
    }

    /// The handles of the sockets `selection` designates, each once, as a shared list:
    /// for one room and no exception, the room's snapshot (built if needed).
    pub(crate) fn recipients(&self, selection: &Selection) -> Arc<[T]> {
        if let ([room], []) = (selection.rooms.as_slice(), selection.except.as_slice()) {
            let mut guard = self.lock();
            let index = &mut *guard;
            let Some(entry) = index.rooms.get_mut(room) else {
                return Arc::from(Vec::new());
            };
            if let Some(snapshot) = &entry.snapshot {
                return snapshot.clone();
            }
            let members = &index.members;
            let list: Arc<[T]> = entry
                .sids
                .iter()
                .filter_map(|sid| members.get(sid).map(|m| m.handle.clone()))
                .collect();
            entry.snapshot = Some(list.clone());
            return list;
        }
        Arc::from(self.select(selection))
    }

    /// Removes a socket from the namespace and from every room; returns the rooms it
    /// was in (its own room included), or `None` if it was not there.
    pub(crate) fn remove(&self, sid: &str) -> Option<Vec<Name>> {
        let mut index = self.lock();
        let member = index.members.remove(sid)?;
        let mut left = Vec::with_capacity(member.rooms.len());
        for room in member.rooms {
            if let Some(entry) = index.rooms.get_mut(&room) {
                entry.remove(sid);
                if entry.sids.is_empty() {
                    index.rooms.remove(&room);
                }
            }
            left.push(room);
        }
        Some(left)
    }

    /// Puts socket `sid` in `room`. False if the socket is not (or no longer) in the
    /// namespace: a socket that has disconnected can never be added back to a room.
    pub(crate) fn join(&self, sid: &str, room: &str) -> bool {
        let mut index = self.lock();
        let index = &mut *index;
        let Some(member) = index.members.get_mut(sid) else {
            return false;
        };
        if member.rooms.contains(room) {
            return true;
        }
        // Reuse the room's existing name allocation when the room exists.
        let name = match index.rooms.get_key_value(room) {
            Some((name, _)) => name.clone(),
            None => Name::from(room),
        };
        member.rooms.insert(name.clone());
        index
            .rooms
            .entry(name)
            .or_default()
            .insert(member.sid.clone());
        true
    }

    /// Takes socket `sid` out of `room`. False if it was not in it.
    pub(crate) fn leave(&self, sid: &str, room: &str) -> bool {
        let mut index = self.lock();
        let Some(member) = index.members.get_mut(sid) else {
            return false;
        };
        if !member.rooms.remove(room) {
            return false;
        }
        if let Some(entry) = index.rooms.get_mut(room) {
            entry.remove(sid);
            if entry.sids.is_empty() {
                index.rooms.remove(room);
            }
        }
        true
    }

    /// The rooms socket `sid` is in (its own room included); empty once disconnected.
    pub(crate) fn rooms_of(&self, sid: &str) -> Vec<Name> {
        let index = self.lock();
        index
            .members
            .get(sid)
            .map(|m| m.rooms.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether socket `sid` is in `room`.
    pub(crate) fn contains(&self, sid: &str, room: &str) -> bool {
        let index = self.lock();
        index
            .members
            .get(sid)
            .is_some_and(|m| m.rooms.contains(room))
    }

    /// Number of sockets in `room`.
    #[cfg(test)]
    pub(crate) fn room_len(&self, room: &str) -> usize {
        self.lock().rooms.get(room).map_or(0, |r| r.sids.len())
    }

    /// Every room that has at least one member (sockets' own rooms included).
    pub(crate) fn room_names(&self) -> Vec<Name> {
        self.lock().rooms.keys().cloned().collect()
    }

    /// Number of sockets in the namespace.
    pub(crate) fn len(&self) -> usize {
        self.lock().members.len()
    }

    /// The handle of socket `sid`, if connected.
    pub(crate) fn get(&self, sid: &str) -> Option<T> {
        self.lock().members.get(sid).map(|m| m.handle.clone())
    }

    /// The handles of the sockets `selection` designates, each once.
    pub(crate) fn select(&self, selection: &Selection) -> Vec<T> {
        let index = self.lock();
        // A socket's own room is in its room set, so excepting a socket id works too.
        let excluded =
            |member: &Member<T>| selection.except.iter().any(|r| member.rooms.contains(r));
        if selection.rooms.is_empty() {
            return index
                .members
                .iter()
                .filter(|(_, m)| !excluded(m))
                .map(|(_, m)| m.handle.clone())
                .collect();
        }
        let mut out = Vec::new();
        let push = |sid: &Name, out: &mut Vec<T>| {
            if let Some(member) = index.members.get(sid)
                && !excluded(member)
            {
                out.push(member.handle.clone());
            }
        };
        if let [room] = selection.rooms.as_slice() {
            if let Some(entry) = index.rooms.get(room) {
                out.reserve(entry.sids.len());
                for sid in &entry.sids {
                    push(sid, &mut out);
                }
            }
            return out;
        }
        // Several rooms: a socket in two of them still receives the packet once.
        let mut seen: HashSet<&Name> = HashSet::new();
        for room in &selection.rooms {
            if let Some(entry) = index.rooms.get(room) {
                for sid in &entry.sids {
                    if seen.insert(sid) {
                        push(sid, &mut out);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::from(s)
    }

    fn sorted(mut v: Vec<&'static str>) -> Vec<&'static str> {
        v.sort_unstable();
        v
    }

    fn index_with(sids: &[&'static str]) -> RoomIndex<&'static str> {
        let index = RoomIndex::new();
        for sid in sids {
            index.insert(&name(sid), *sid);
        }
        index
    }

    fn selection(rooms: &[&str], except: &[&str]) -> Selection {
        Selection {
            rooms: rooms.iter().map(|r| name(r)).collect(),
            except: except.iter().map(|r| name(r)).collect(),
        }
    }

    #[test]
    fn every_socket_is_in_its_own_room() {
        let index = index_with(&["a", "b"]);
        assert_eq!(index.rooms_of("a"), vec![name("a")]);
        assert_eq!(index.room_len("a"), 1);
        assert_eq!(index.len(), 2);
        assert_eq!(index.select(&selection(&["b"], &[])), vec!["b"]);
    }

    #[test]
    fn room_snapshot_follows_joins_leaves_and_disconnects() {
        let index = index_with(&["a", "b", "c"]);
        let room = selection(&["r"], &[]);
        assert!(index.recipients(&room).is_empty());
        index.join("a", "r");
        let first = index.recipients(&room);
        assert_eq!(&*first, &["a"]);
        assert!(
            Arc::ptr_eq(&first, &index.recipients(&room)),
            "an unchanged room reuses its snapshot"
        );
        index.join("b", "r");
        let mut now = index.recipients(&room).to_vec();
        now.sort_unstable();
        assert_eq!(now, vec!["a", "b"]);
        assert_eq!(&*first, &["a"], "a broadcast under way keeps its own list");
        index.leave("a", "r");
        assert_eq!(&*index.recipients(&room), &["b"]);
        index.join("c", "r");
        index.remove("b");
        assert_eq!(&*index.recipients(&room), &["c"]);
        // Exceptions and several rooms take the general path.
        assert!(index.recipients(&selection(&["r"], &["c"])).is_empty());
        assert_eq!(index.recipients(&selection(&["r", "a"], &[])).len(), 2);
    }

    #[test]
    fn join_leave_and_membership() {
        let index = index_with(&["a", "b", "c"]);
        assert!(index.join("a", "r"));
        assert!(index.join("b", "r"));
        assert!(index.join("b", "r"), "joining twice is harmless");
        assert_eq!(index.room_len("r"), 2);
        assert!(index.contains("a", "r"));
        assert!(!index.contains("c", "r"));
        assert_eq!(
            sorted(index.select(&selection(&["r"], &[]))),
            vec!["a", "b"]
        );
        assert!(index.leave("a", "r"));
        assert!(!index.leave("a", "r"), "leaving twice reports false");
        assert_eq!(index.select(&selection(&["r"], &[])), vec!["b"]);
        assert!(index.leave("b", "r"));
        assert_eq!(index.room_len("r"), 0);
        assert!(
            !index.room_names().contains(&name("r")),
            "an empty room is dropped"
        );
    }

    #[test]
    fn broadcast_without_the_sender_excludes_its_own_room() {
        let index = index_with(&["a", "b", "c"]);
        for sid in ["a", "b", "c"] {
            index.join(sid, "r");
        }
        assert_eq!(
            sorted(index.select(&selection(&["r"], &["a"]))),
            vec!["b", "c"]
        );
        // Everyone in the namespace but one.
        assert_eq!(
            sorted(index.select(&selection(&[], &["c"]))),
            vec!["a", "b"]
        );
    }

    #[test]
    fn several_rooms_deliver_once_and_except_rooms_apply() {
        let index = index_with(&["a", "b", "c", "d"]);
        index.join("a", "x");
        index.join("b", "x");
        index.join("b", "y");
        index.join("c", "y");
        index.join("c", "muted");
        index.join("d", "z");
        assert_eq!(
            sorted(index.select(&selection(&["x", "y"], &[]))),
            vec!["a", "b", "c"]
        );
        assert_eq!(
            sorted(index.select(&selection(&["x", "y"], &["muted"]))),
            vec!["a", "b"]
        );
        assert_eq!(
            sorted(index.select(&selection(&[], &[]))),
            vec!["a", "b", "c", "d"]
        );
        assert!(index.select(&selection(&["nobody"], &[])).is_empty());
    }

    #[test]
    fn removed_socket_leaves_every_room_and_cannot_rejoin() {
        let index = index_with(&["a", "b"]);
        index.join("a", "r1");
        index.join("a", "r2");
        index.join("b", "r1");
        let mut left = index.remove("a").unwrap();
        left.sort_unstable();
        assert_eq!(left, vec![name("a"), name("r1"), name("r2")]);
        assert_eq!(index.remove("a"), None);
        assert!(!index.join("a", "r1"));
        assert_eq!(index.select(&selection(&["r1"], &[])), vec!["b"]);
        assert_eq!(index.room_len("r2"), 0);
        assert!(index.rooms_of("a").is_empty());
        assert_eq!(index.get("a"), None);
        assert_eq!(index.get("b"), Some("b"));
    }
}
