//! The generated load-test fixture.

use huddle_storage::{FixtureSpec, Role, RoomRef};

use crate::common::Ctx;

pub async fn fixture_lets_every_user_into_every_project(ctx: Ctx) {
    let spec = FixtureSpec::parse("users=30,projects=4").unwrap();
    ctx.store.load_fixture(&spec).await.unwrap();
    // Loading again changes nothing.
    ctx.store.load_fixture(&spec).await.unwrap();
    for user in 1..=30 {
        let loaded = ctx.store.get_user(user).await.unwrap().unwrap();
        assert_eq!(loaded.role, Role::Researcher);
        assert_eq!(loaded.first_name, "User");
        assert_eq!(loaded.last_name, user.to_string());
        for project in 1..=4 {
            let facts = ctx
                .store
                .room_access(user, RoomRef::project(project))
                .await
                .unwrap()
                .unwrap();
            assert!(
                facts.user_has_task_in_project,
                "user {user} project {project}"
            );
            assert!(!facts.user_has_grant);
            assert_eq!(facts.project_created_by, 1);
        }
        assert_eq!(
            ctx.store
                .room_access(user, RoomRef::project(5))
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(ctx.store.get_user(31).await.unwrap(), None);
    // A bigger fixture over the smaller one adds what is missing.
    let bigger = FixtureSpec::parse("users=40,projects=6").unwrap();
    ctx.store.load_fixture(&bigger).await.unwrap();
    let facts = ctx
        .store
        .room_access(40, RoomRef::project(6))
        .await
        .unwrap()
        .unwrap();
    assert!(facts.user_has_task_in_project);
    let facts = ctx
        .store
        .room_access(1, RoomRef::project(6))
        .await
        .unwrap()
        .unwrap();
    assert!(facts.user_has_task_in_project);
}
