//! The facts the chat layer's access policy decides from (spec: "Room Access
//! Rules"). The store gathers them in one lookup; the rules themselves live in the
//! chat policy module, in one place.

use serde::Serialize;

use super::{ProjectId, RoomRef, UserId};

/// What the store knows about one user and one existing room.
///
/// For a project room the project is the room itself; for a study room it is the
/// study's project. The spec's rules read:
/// managers: `project_created_by == user || user_has_grant` (for a study room, the
/// same on its project); researchers: `user_has_task_in_project` for a project room,
/// `user_has_task_in_study == Some(true)` for a study room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomAccessFacts {
    /// The room asked about.
    pub room: RoomRef,
    /// The project of the room (the room itself for a project room).
    pub project_id: ProjectId,
    /// Who created that project.
    pub project_created_by: UserId,
    /// Whether the user was granted access to that project (`project_access`).
    pub user_has_grant: bool,
    /// Whether the user is the assignee of at least one task of that project
    /// (any task of the project, in a study or not).
    pub user_has_task_in_project: bool,
    /// For a study room: whether the user is the assignee of at least one task of
    /// that study. `None` for a project room.
    pub user_has_task_in_study: Option<bool>,
}
