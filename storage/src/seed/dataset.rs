//! A directory of users, projects, grants, studies and tasks: the rows the access
//! rules read. The chat never writes them; they come from the Task Tracker (or from
//! the demo data).

use crate::model::{ProjectId, StudyId, TaskId, User, UserId};

/// A project and its creator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub created_by: UserId,
}

/// An access grant of a project to a user (managers' second route in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub project_id: ProjectId,
    pub user_id: UserId,
}

/// A study of a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Study {
    pub id: StudyId,
    pub project_id: ProjectId,
    pub name: String,
}

/// A task of a project, possibly in one of its studies, possibly assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub id: TaskId,
    pub project_id: ProjectId,
    pub study_id: Option<StudyId>,
    pub assignee_id: Option<UserId>,
    pub title: String,
}

/// Rows to load, in dependency order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dataset {
    pub users: Vec<User>,
    pub projects: Vec<Project>,
    pub grants: Vec<Grant>,
    pub studies: Vec<Study>,
    pub tasks: Vec<Task>,
}
