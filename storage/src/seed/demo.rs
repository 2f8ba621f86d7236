//! The demo data of the issue, exactly: five users, three projects, four studies,
//! one grant and three tasks. Loaded by the zero-config in-memory server and by
//! `huddle demo-data --database-url ...`.
//!
//! Who may join what (the chat policy's table test checks it):
//! user 1: projects 1, 3 and studies 1, 2, 4; user 2: projects 2, 3 and studies 3, 4;
//! user 3: project 1 and study 1; user 4: project 2 and study 3; user 5: project 1.

use super::{Dataset, Grant, Project, Study, Task};
use crate::model::{Role, User};

fn user(id: u64, first: &str, last: &str, role: Role) -> User {
    User {
        id,
        first_name: first.into(),
        last_name: last.into(),
        role,
    }
}

/// The demo dataset.
pub fn demo_dataset() -> Dataset {
    Dataset {
        users: vec![
            user(1, "Ada", "Lovelace", Role::Manager),
            user(2, "Grace", "Hopper", Role::Manager),
            user(3, "Alan", "Turing", Role::Researcher),
            user(4, "Katherine", "Johnson", Role::Researcher),
            user(5, "Edsger", "Dijkstra", Role::Researcher),
        ],
        projects: vec![
            Project {
                id: 1,
                name: "Apollo".into(),
                created_by: 1,
            },
            Project {
                id: 2,
                name: "Enigma".into(),
                created_by: 2,
            },
            Project {
                id: 3,
                name: "Mercury".into(),
                created_by: 2,
            },
        ],
        grants: vec![Grant {
            project_id: 3,
            user_id: 1,
        }],
        studies: vec![
            Study {
                id: 1,
                project_id: 1,
                name: "Apollo study 1".into(),
            },
            Study {
                id: 2,
                project_id: 1,
                name: "Apollo study 2".into(),
            },
            Study {
                id: 3,
                project_id: 2,
                name: "Enigma study".into(),
            },
            Study {
                id: 4,
                project_id: 3,
                name: "Mercury study".into(),
            },
        ],
        tasks: vec![
            Task {
                id: 1,
                project_id: 1,
                study_id: Some(1),
                assignee_id: Some(3),
                title: "Apollo study 1 task".into(),
            },
            Task {
                id: 2,
                project_id: 2,
                study_id: Some(3),
                assignee_id: Some(4),
                title: "Enigma study task".into(),
            },
            Task {
                id: 3,
                project_id: 1,
                study_id: None,
                assignee_id: Some(5),
                title: "Apollo task".into(),
            },
        ],
    }
}
