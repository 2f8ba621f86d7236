//! Users, the demo directory and the access facts the chat policy decides from.

use huddle_storage::seed::{Grant, Project, Task};
use huddle_storage::{Dataset, Role, RoomAccessFacts, RoomRef, StoreError, User, demo_dataset};

use crate::common::Ctx;

pub async fn ping_answers(ctx: Ctx) {
    ctx.store.ping().await.unwrap();
}

pub async fn demo_users_are_loaded(ctx: Ctx) {
    ctx.store.load_dataset(&demo_dataset()).await.unwrap();
    let expected = [
        (1, "Ada", "Lovelace", Role::Manager),
        (2, "Grace", "Hopper", Role::Manager),
        (3, "Alan", "Turing", Role::Researcher),
        (4, "Katherine", "Johnson", Role::Researcher),
        (5, "Edsger", "Dijkstra", Role::Researcher),
    ];
    for (id, first, last, role) in expected {
        let user = ctx.store.get_user(id).await.unwrap().unwrap();
        assert_eq!(
            user,
            User {
                id,
                first_name: first.into(),
                last_name: last.into(),
                role
            }
        );
    }
    assert_eq!(ctx.store.get_user(6).await.unwrap(), None);
    assert_eq!(ctx.store.get_user(0).await.unwrap(), None);
}

/// The spec's rules, applied to the facts (the real policy lives in the chat
/// layer): this proves the facts are enough to reproduce the table.
fn allowed(role: Role, user: u64, facts: &RoomAccessFacts) -> bool {
    match role {
        Role::Manager => facts.project_created_by == user || facts.user_has_grant,
        Role::Researcher => facts
            .user_has_task_in_study
            .unwrap_or(facts.user_has_task_in_project),
    }
}

/// user, room, project, created by, grant, task in project, task in study, allowed
type Row = (u64, RoomRef, u64, u64, bool, bool, Option<bool>, bool);

const P: fn(u64) -> RoomRef = RoomRef::project;
const S: fn(u64) -> RoomRef = RoomRef::study;

pub async fn demo_access_facts_for_every_user_and_room(ctx: Ctx) {
    ctx.store.load_dataset(&demo_dataset()).await.unwrap();
    #[rustfmt::skip]
    let table: [Row; 35] = [
        (1, P(1), 1, 1, false, false, None,        true),
        (1, P(2), 2, 2, false, false, None,        false),
        (1, P(3), 3, 2, true,  false, None,        true),
        (1, S(1), 1, 1, false, false, Some(false), true),
        (1, S(2), 1, 1, false, false, Some(false), true),
        (1, S(3), 2, 2, false, false, Some(false), false),
        (1, S(4), 3, 2, true,  false, Some(false), true),
        (2, P(1), 1, 1, false, false, None,        false),
        (2, P(2), 2, 2, false, false, None,        true),
        (2, P(3), 3, 2, false, false, None,        true),
        (2, S(1), 1, 1, false, false, Some(false), false),
        (2, S(2), 1, 1, false, false, Some(false), false),
        (2, S(3), 2, 2, false, false, Some(false), true),
        (2, S(4), 3, 2, false, false, Some(false), true),
        (3, P(1), 1, 1, false, true,  None,        true),
        (3, P(2), 2, 2, false, false, None,        false),
        (3, P(3), 3, 2, false, false, None,        false),
        (3, S(1), 1, 1, false, true,  Some(true),  true),
        (3, S(2), 1, 1, false, true,  Some(false), false),
        (3, S(3), 2, 2, false, false, Some(false), false),
        (3, S(4), 3, 2, false, false, Some(false), false),
        (4, P(1), 1, 1, false, false, None,        false),
        (4, P(2), 2, 2, false, true,  None,        true),
        (4, P(3), 3, 2, false, false, None,        false),
        (4, S(1), 1, 1, false, false, Some(false), false),
        (4, S(2), 1, 1, false, false, Some(false), false),
        (4, S(3), 2, 2, false, true,  Some(true),  true),
        (4, S(4), 3, 2, false, false, Some(false), false),
        (5, P(1), 1, 1, false, true,  None,        true),
        (5, P(2), 2, 2, false, false, None,        false),
        (5, P(3), 3, 2, false, false, None,        false),
        (5, S(1), 1, 1, false, true,  Some(false), false),
        (5, S(2), 1, 1, false, true,  Some(false), false),
        (5, S(3), 2, 2, false, false, Some(false), false),
        (5, S(4), 3, 2, false, false, Some(false), false),
    ];
    for (user, room, project_id, created_by, grant, task_p, task_s, may_join) in table {
        let facts = ctx.store.room_access(user, room).await.unwrap();
        let expected = RoomAccessFacts {
            room,
            project_id,
            project_created_by: created_by,
            user_has_grant: grant,
            user_has_task_in_project: task_p,
            user_has_task_in_study: task_s,
        };
        assert_eq!(facts.as_ref(), Some(&expected), "user {user}, room {room}");
        let role = ctx.store.get_user(user).await.unwrap().unwrap().role;
        assert_eq!(
            allowed(role, user, &expected),
            may_join,
            "user {user}, room {room}"
        );
    }
    for user in 1..=5 {
        for room in [P(4), S(5), P(0), S(0), P(u64::MAX)] {
            assert_eq!(
                ctx.store.room_access(user, room).await.unwrap(),
                None,
                "{room}"
            );
        }
    }
    // An unknown user still gets facts for an existing room (all false): whether
    // the user exists is the authentication's business.
    let facts = ctx.store.room_access(99, S(1)).await.unwrap().unwrap();
    assert!(!facts.user_has_grant && !facts.user_has_task_in_project);
    assert_eq!(facts.user_has_task_in_study, Some(false));
}

/// The batched question gives, pair by pair and in order, what the single one gives,
/// across more pairs than one access statement holds, with unknown rooms and users
/// and repeated pairs mixed in.
pub async fn room_access_many_answers_like_room_access(ctx: Ctx) {
    ctx.store.load_dataset(&demo_dataset()).await.unwrap();
    assert!(ctx.store.room_access_many(&[]).await.unwrap().is_empty());
    let rooms = [P(1), P(2), P(3), P(4), S(1), S(2), S(3), S(4), S(5), P(0)];
    let mut pairs = Vec::new();
    for user in [5, 1, 99, 3, 2, 4] {
        for room in rooms {
            pairs.push((user, room));
        }
    }
    // Every pair again, in the other order.
    let reversed: Vec<_> = pairs.iter().rev().copied().collect();
    pairs.extend(reversed.iter().copied());
    pairs.extend(reversed);
    assert!(pairs.len() > 150, "more than one statement's worth");
    let many = ctx.store.room_access_many(&pairs).await.unwrap();
    assert_eq!(many.len(), pairs.len());
    for (&(user, room), facts) in pairs.iter().zip(&many) {
        let single = ctx.store.room_access(user, room).await.unwrap();
        assert_eq!(facts, &single, "user {user}, room {room}");
    }
    assert!(many.iter().any(Option::is_none) && many.iter().any(Option::is_some));
}

/// A grant added to the directory is seen by the very next question: the store keeps
/// no copy of access facts.
pub async fn access_facts_follow_the_directory(ctx: Ctx) {
    ctx.store.load_dataset(&demo_dataset()).await.unwrap();
    let granted = ctx
        .store
        .room_access_many(&[(1, P(3)), (3, P(1))])
        .await
        .unwrap();
    assert!(granted[0].as_ref().unwrap().user_has_grant);
    assert!(granted[1].as_ref().unwrap().user_has_task_in_project);
    // A new grant (the dataset loader adds rows, it never removes any).
    let data = Dataset {
        grants: vec![Grant {
            project_id: 2,
            user_id: 1,
        }],
        ..Dataset::default()
    };
    ctx.store.load_dataset(&data).await.unwrap();
    let after = ctx.store.room_access_many(&[(1, P(2))]).await.unwrap();
    assert!(after[0].as_ref().unwrap().user_has_grant);
}

pub async fn dataset_loading_is_idempotent(ctx: Ctx) {
    ctx.store.load_dataset(&demo_dataset()).await.unwrap();
    let before = ctx.store.room_access(3, S(1)).await.unwrap();
    ctx.store.load_dataset(&demo_dataset()).await.unwrap();
    assert_eq!(ctx.store.room_access(3, S(1)).await.unwrap(), before);
    // A row whose id exists is kept as it is.
    let mut renamed = demo_dataset();
    renamed.users[0].first_name = "Someone".into();
    renamed.users[0].role = Role::Researcher;
    ctx.store.load_dataset(&renamed).await.unwrap();
    let ada = ctx.store.get_user(1).await.unwrap().unwrap();
    assert_eq!((ada.first_name.as_str(), ada.role), ("Ada", Role::Manager));
    // New rows are added next to the old ones.
    let more = Dataset {
        users: vec![User {
            id: 6,
            first_name: "Barbara".into(),
            last_name: "Liskov".into(),
            role: Role::Manager,
        }],
        grants: vec![Grant {
            project_id: 1,
            user_id: 6,
        }],
        ..Dataset::default()
    };
    ctx.store.load_dataset(&more).await.unwrap();
    assert!(
        ctx.store
            .room_access(6, P(1))
            .await
            .unwrap()
            .unwrap()
            .user_has_grant
    );
}

pub async fn dataset_with_a_broken_reference_is_refused_whole(ctx: Ctx) {
    ctx.store.load_dataset(&demo_dataset()).await.unwrap();
    let newcomer = User {
        id: 7,
        first_name: "New".into(),
        last_name: "Comer".into(),
        role: Role::Researcher,
    };
    let unknown_project = Dataset {
        users: vec![newcomer.clone()],
        tasks: vec![Task {
            id: 50,
            project_id: 77,
            study_id: None,
            assignee_id: Some(7),
            title: "nowhere".into(),
        }],
        ..Dataset::default()
    };
    let err = ctx.store.load_dataset(&unknown_project).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(
        ctx.store.get_user(7).await.unwrap(),
        None,
        "nothing of the dataset stays"
    );

    // Study 3 belongs to project 2, not 1.
    let foreign_study = Dataset {
        tasks: vec![Task {
            id: 51,
            project_id: 1,
            study_id: Some(3),
            assignee_id: Some(3),
            title: "wrong study".into(),
        }],
        ..Dataset::default()
    };
    let err = ctx.store.load_dataset(&foreign_study).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");

    let unknown_creator = Dataset {
        projects: vec![Project {
            id: 9,
            name: "Orphan".into(),
            created_by: 42,
        }],
        ..Dataset::default()
    };
    let err = ctx.store.load_dataset(&unknown_creator).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(ctx.store.room_access(1, P(9)).await.unwrap(), None);
}
