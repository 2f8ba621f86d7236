//! The in-memory store: the load-test fixture (`users=N,projects=P`, as Huddle's
//! `--fixture`: researchers 1..=N, projects 1..=P created by user 1, a task for every
//! user in every project) and every message, per room in id order.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::rules::{HISTORY_PAGE, Role, Room, RoomFacts, RoomType};

/// A user as the chat sees it.
#[derive(Clone, Debug)]
pub struct User {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sender {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
}

/// The spec's Message with its relations.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: u64,
    pub room_type: &'static str,
    pub room_id: u64,
    pub sender_id: u64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub content: String,
    pub file_id: Option<u64>,
    pub file_name: Option<String>,
    pub file_size: Option<u64>,
    pub mime_type: Option<String>,
    pub reply_to_id: Option<u64>,
    pub edited_at: Option<String>,
    pub deleted_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub sender: Sender,
    pub reply_to: Option<()>,
    pub file: Option<()>,
}

/// A history page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    pub messages: Vec<Arc<Message>>,
    pub room_type: &'static str,
    pub room_id: u64,
    pub has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<u64>,
}

/// Why a fixture spec was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting --fixture: expected users=N,projects=P with N, P from 1 (got {0:?})")]
pub struct FixtureError(pub String);

/// Parses `users=N,projects=P`.
pub fn parse_fixture(text: &str) -> Result<(u64, u64), FixtureError> {
    let bad = || FixtureError(text.to_owned());
    let (mut users, mut projects) = (None, None);
    for item in text.split(',') {
        let (k, v) = item.split_once('=').ok_or_else(bad)?;
        let n: u64 = v.trim().parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(bad());
        }
        let slot = match k.trim() {
            "users" => &mut users,
            "projects" => &mut projects,
            _ => return Err(bad()),
        };
        if slot.replace(n).is_some() {
            return Err(bad());
        }
    }
    let (users, projects) = (users.ok_or_else(bad)?, projects.ok_or_else(bad)?);
    if users > 1_000_000 || projects > 100_000 || users * projects > 10_000_000 {
        return Err(bad());
    }
    Ok((users, projects))
}

pub struct Store {
    users: HashMap<u64, Arc<User>>,
    projects: HashMap<u64, u64>,
    grants: HashSet<(u64, u64)>,
    tasks: HashSet<(u64, u64)>,
    // Held only to take an id and append, never across an await.
    messages: Mutex<Messages>,
}

#[derive(Default)]
struct Messages {
    last_id: u64,
    by_room: HashMap<Room, Vec<Arc<Message>>>,
}

const PROJECT_CREATOR: u64 = 1;

impl Store {
    pub fn with_fixture(users: u64, projects: u64) -> Self {
        let mut s = Store {
            users: HashMap::new(),
            projects: HashMap::new(),
            grants: HashSet::new(),
            tasks: HashSet::new(),
            messages: Mutex::new(Messages::default()),
        };
        for id in 1..=users {
            s.users.insert(
                id,
                Arc::new(User {
                    id,
                    first_name: "User".into(),
                    last_name: id.to_string(),
                    role: Role::Researcher,
                }),
            );
        }
        for p in 1..=projects {
            s.projects.insert(p, PROJECT_CREATOR);
            for u in 1..=users {
                s.tasks.insert((u, p));
            }
        }
        s
    }

    pub fn user(&self, id: u64) -> Option<Arc<User>> {
        self.users.get(&id).cloned()
    }

    /// `None` when the room does not exist (fixture studies: none).
    pub fn room_facts(&self, user: &User, room: Room) -> Option<RoomFacts> {
        if room.kind != RoomType::Project {
            return None;
        }
        let created_by = *self.projects.get(&room.id)?;
        Some(RoomFacts {
            created_by,
            granted: self.grants.contains(&(room.id, user.id)),
            has_task: self.tasks.contains(&(user.id, room.id)),
        })
    }

    pub fn insert(&self, user: &User, room: Room, content: String) -> Arc<Message> {
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut guard = self.messages.lock().unwrap_or_else(|e| e.into_inner());
        guard.last_id += 1;
        let message = Arc::new(Message {
            id: guard.last_id,
            room_type: room.kind.as_str(),
            room_id: room.id,
            sender_id: user.id,
            kind: "text",
            content,
            file_id: None,
            file_name: None,
            file_size: None,
            mime_type: None,
            reply_to_id: None,
            edited_at: None,
            deleted_at: None,
            created_at: now.clone(),
            updated_at: now,
            sender: Sender {
                id: user.id,
                first_name: user.first_name.clone(),
                last_name: user.last_name.clone(),
            },
            reply_to: None,
            file: None,
        });
        guard
            .by_room
            .entry(room)
            .or_default()
            .push(Arc::clone(&message));
        message
    }

    pub fn latest(&self, room: Room) -> Page {
        let guard = self.messages.lock().unwrap_or_else(|e| e.into_inner());
        let list = guard.by_room.get(&room).map(Vec::as_slice).unwrap_or(&[]);
        let page = &list[list.len().saturating_sub(HISTORY_PAGE)..];
        let has_more = list.len() > page.len();
        Page {
            messages: page.to_vec(),
            room_type: room.kind.as_str(),
            room_id: room.id,
            has_more,
            next_cursor: if has_more {
                page.first().map(|m| m.id)
            } else {
                None
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_specs() {
        assert_eq!(parse_fixture("users=5000,projects=400"), Ok((5000, 400)));
        assert_eq!(parse_fixture(" projects=2, users=3"), Ok((3, 2)));
        for bad in [
            "users=5",
            "users=0,projects=1",
            "users=1,rooms=1",
            "users=1,users=2,projects=1",
            "x",
        ] {
            assert!(parse_fixture(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn access_facts_and_history() {
        let s = Store::with_fixture(3, 2);
        let user = s.user(2).unwrap();
        let project = |id| Room {
            kind: RoomType::Project,
            id,
        };
        assert!(s.room_facts(&user, project(2)).unwrap().has_task);
        assert!(s.room_facts(&user, project(3)).is_none());
        assert!(
            s.room_facts(
                &user,
                Room {
                    kind: RoomType::Study,
                    id: 1
                }
            )
            .is_none()
        );
        assert!(s.user(4).is_none());
        for i in 0..60 {
            s.insert(&user, project(1), format!("m{i}"));
        }
        let page = s.latest(project(1));
        assert_eq!(page.messages.len(), 50);
        assert_eq!(page.messages[0].content, "m10");
        assert!(page.has_more);
        assert_eq!(page.next_cursor, Some(11));
        let json = serde_json::to_value(&page.messages[0]).unwrap();
        assert_eq!(json["sender"]["lastName"], "2");
        assert_eq!(json["roomType"], "project");
        assert!(json["replyTo"].is_null());
    }
}
