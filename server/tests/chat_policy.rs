//! The access table of issue 4 item 4, against the demo data in the in-memory store: every
//! demo user × every project and study room (and rooms that do not exist) → joined, forbidden
//! or not found, through the chat's one policy module.

use std::sync::Arc;

use huddle_server::chat::clock::{SharedClock, SystemClock};
use huddle_server::chat::errors::ErrorCode;
use huddle_server::chat::policy::authorize_room;
use huddle_storage::model::RoomRef;
use huddle_storage::{MemoryStore, Store};

/// `A` = allowed, `F` = ROOM_FORBIDDEN. Rows: users 1..=5; columns: projects 1..=3, studies 1..=4.
/// Straight from the issue: user 1 may join projects 1 and 3 and studies 1, 2 and 4; user 2
/// projects 2 and 3 and studies 3 and 4; user 3 project 1 and study 1; user 4 project 2 and
/// study 3; user 5 project 1 and no study.
const TABLE: [(u64, &str, &str); 5] = [
    //       projects  studies
    (1, "A F A", "A A F A"),
    (2, "F A A", "F F A A"),
    (3, "A F F", "A F F F"),
    (4, "F A F", "F F A F"),
    (5, "A F F", "F F F F"),
];

fn expected(cells: &str) -> Vec<bool> {
    cells.split(' ').map(|c| c == "A").collect()
}

async fn store() -> MemoryStore {
    let clock: SharedClock = Arc::new(SystemClock);
    MemoryStore::with_demo_data(clock).expect("demo data loads")
}

#[tokio::test]
async fn every_demo_user_against_every_room() {
    let store = store().await;
    let mut checked = 0;
    for (user_id, projects, studies) in TABLE {
        let user = store.get_user(user_id).await.unwrap().expect("demo user");
        let rooms = (1..=3)
            .map(RoomRef::project)
            .zip(expected(projects))
            .chain((1..=4).map(RoomRef::study).zip(expected(studies)));
        for (room, allowed) in rooms {
            let got = authorize_room(&store, &user, room).await;
            match (allowed, got) {
                (true, Ok(facts)) => assert_eq!(facts.room, room),
                (false, Err(e)) => assert_eq!(
                    e.code,
                    ErrorCode::RoomForbidden,
                    "user {user_id} {room}: {e}"
                ),
                (want, got) => {
                    panic!("user {user_id} {room}: expected allowed={want}, got {got:?}")
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 5 * 7);
}

#[tokio::test]
async fn unknown_rooms_are_not_found_for_everyone() {
    let store = store().await;
    for user_id in 1..=5 {
        let user = store.get_user(user_id).await.unwrap().expect("demo user");
        for room in [
            RoomRef::project(4),
            RoomRef::project(999),
            RoomRef::study(5),
            RoomRef::study(u64::MAX),
        ] {
            let err = authorize_room(&store, &user, room).await.unwrap_err();
            assert_eq!(err.code, ErrorCode::RoomNotFound, "user {user_id} {room}");
            assert!(err.message.contains("does not exist"), "{}", err.message);
        }
    }
}
