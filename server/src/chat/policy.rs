//! The access rules, in one place (spec: "Room Access Rules" and "Authorization Checks";
//! issue 4 item 4).
//!
//! The store reports facts ([`RoomAccessFacts`]: who created the room's project, whether the
//! user holds a grant on it, whether the user is assigned a task in the project / in the
//! study); this module alone turns them into a decision, through the table [`RULES`]:
//!
//! | role | room | allowed when |
//! | --- | --- | --- |
//! | manager | project | the user created the project, or was granted access to it |
//! | manager | study | the same, for the study's project ("any study within accessible projects") |
//! | researcher | project | the user is assigned at least one task of the project (in a study or not) |
//! | researcher | study | the user is assigned at least one task of that study |
//!
//! The same decision answers `room:join`, `message:history`, every `message:send` (re-checked
//! when the message is written: see `commit.rs`), and "a manager with access to the room" for
//! edits and deletes. An unknown room is `ROOM_NOT_FOUND`, a denied one
//! `ROOM_FORBIDDEN`.

use huddle_storage::model::{Role, RoomAccessFacts, RoomRef, RoomType, User, UserId};
use huddle_storage::{Store, StoreError};

use super::errors::{ChatError, ErrorCode};

/// What has to hold for a role to enter a kind of room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The user created the room's project, or holds a grant on it.
    CreatedOrGranted,
    /// The user is assigned a task somewhere in the room's project.
    AssignedInProject,
    /// The user is assigned a task in the study itself.
    AssignedInStudy,
}

/// The access table: one row per (role, room type). Every combination has exactly one row
/// (checked by a test), so a new role or room type cannot be silently allowed or denied.
pub const RULES: [(Role, RoomType, Rule); 4] = [
    (Role::Manager, RoomType::Project, Rule::CreatedOrGranted),
    (Role::Manager, RoomType::Study, Rule::CreatedOrGranted),
    (Role::Researcher, RoomType::Project, Rule::AssignedInProject),
    (Role::Researcher, RoomType::Study, Rule::AssignedInStudy),
];

impl Rule {
    /// Whether the facts satisfy the rule for this user.
    fn holds(self, user_id: UserId, facts: &RoomAccessFacts) -> bool {
        match self {
            Rule::CreatedOrGranted => facts.project_created_by == user_id || facts.user_has_grant,
            Rule::AssignedInProject => facts.user_has_task_in_project,
            Rule::AssignedInStudy => facts.user_has_task_in_study == Some(true),
        }
    }
}

/// The rule that applies to this role in this kind of room.
pub fn rule_for(role: Role, room_type: RoomType) -> Rule {
    RULES
        .iter()
        .find(|(r, t, _)| *r == role && *t == room_type)
        .map(|(_, _, rule)| *rule)
        // RULES covers every (role, room type) pair (tested); denying by default is the
        // safe answer should that ever stop being true.
        .unwrap_or(Rule::AssignedInStudy)
}

/// Whether `user` may enter the room the facts describe.
pub fn allows(user: &User, facts: &RoomAccessFacts) -> bool {
    permits(user.id, user.role, facts)
}

/// Whether the user with this id and role may enter the room the facts describe.
pub fn permits(user_id: UserId, role: Role, facts: &RoomAccessFacts) -> bool {
    rule_for(role, facts.room.kind).holds(user_id, facts)
}

/// The decision for `room` from the store's answer (`None`: the room does not exist).
pub fn decide(
    user_id: UserId,
    role: Role,
    room: RoomRef,
    facts: Option<&RoomAccessFacts>,
) -> Result<&RoomAccessFacts, ChatError> {
    match facts {
        None => Err(ChatError::new(
            ErrorCode::RoomNotFound,
            format!("{} {} does not exist", room.kind, room.id),
        )),
        Some(facts) if permits(user_id, role, facts) => Ok(facts),
        Some(_) => Err(ChatError::new(
            ErrorCode::RoomForbidden,
            format!("you do not have access to {} {}", room.kind, room.id),
        )),
    }
}

/// The answer to "may this user use this room?", asked of the store.
pub async fn authorize_room(
    store: &dyn Store,
    user: &User,
    room: RoomRef,
) -> Result<RoomAccessFacts, ChatError> {
    let facts = store
        .room_access(user.id, room)
        .await
        .map_err(|e| store_error(&e, "room access"))?;
    decide(user.id, user.role, room, facts.as_ref()).cloned()
}

/// Maps a store failure the caller did not expect to a client error, logging it.
pub fn store_error(err: &StoreError, during: &str) -> ChatError {
    if err.is_unavailable() {
        tracing::warn!(error = %err, during, "database unavailable");
        ChatError::db_unavailable()
    } else {
        tracing::error!(error = %err, during, "store failure");
        ChatError::internal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: u64, role: Role) -> User {
        User {
            id,
            first_name: "F".into(),
            last_name: "L".into(),
            role,
        }
    }

    fn facts(
        room: RoomRef,
        created_by: u64,
        grant: bool,
        in_project: bool,
        in_study: bool,
    ) -> RoomAccessFacts {
        RoomAccessFacts {
            room,
            project_id: 1,
            project_created_by: created_by,
            user_has_grant: grant,
            user_has_task_in_project: in_project,
            user_has_task_in_study: (room.kind == RoomType::Study).then_some(in_study),
        }
    }

    #[test]
    fn every_role_and_room_type_has_exactly_one_rule() {
        for role in [Role::Manager, Role::Researcher] {
            for kind in [RoomType::Project, RoomType::Study] {
                let n = RULES
                    .iter()
                    .filter(|(r, t, _)| *r == role && *t == kind)
                    .count();
                assert_eq!(n, 1, "{role} {kind}");
            }
        }
    }

    /// role × ownership/grant/assignment × room type → allowed, exhaustively over the facts.
    #[test]
    fn rule_table_over_every_combination_of_facts() {
        for role in [Role::Manager, Role::Researcher] {
            for room in [RoomRef::project(1), RoomRef::study(1)] {
                for created in [false, true] {
                    for grant in [false, true] {
                        for in_project in [false, true] {
                            for in_study in [false, true] {
                                let u = user(7, role);
                                let f = facts(
                                    room,
                                    if created { 7 } else { 99 },
                                    grant,
                                    in_project,
                                    in_study,
                                );
                                let expected = match (role, room.kind) {
                                    (Role::Manager, _) => created || grant,
                                    (Role::Researcher, RoomType::Project) => in_project,
                                    (Role::Researcher, RoomType::Study) => in_study,
                                };
                                assert_eq!(
                                    allows(&u, &f),
                                    expected,
                                    "{role} {room} created={created} grant={grant} in_project={in_project} in_study={in_study}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn researcher_task_elsewhere_in_the_project_does_not_open_a_study() {
        let u = user(5, Role::Researcher);
        let f = facts(RoomRef::study(2), 1, false, true, false);
        assert!(!allows(&u, &f));
    }

    #[test]
    fn manager_assigned_a_task_but_neither_creator_nor_granted_is_denied() {
        let u = user(2, Role::Manager);
        let f = facts(RoomRef::project(1), 1, false, true, false);
        assert!(!allows(&u, &f));
    }
}
