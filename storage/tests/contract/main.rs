//! The storage contract: every behaviour the chat layer and the files API rely on,
//! run once against the in-memory store and once against MariaDB (each MariaDB run
//! in a fresh database of its own, dropped afterwards).
//!
//! MariaDB comes from `HUDDLE_TEST_DATABASE_URL` (default
//! `mysql://root@127.0.0.1:3306`); when it is unreachable these tests fail with a
//! line saying how to start it.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod files;
mod fixture;
mod helpers;
mod history;
mod messages;
mod reads;

/// Declares each behaviour (an `async fn(Ctx)` in one of the modules) as a test
/// against both stores: `memory::<name>` and `mariadb::<name>`.
macro_rules! contract {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::common::run_memory(crate::$module::$name).await;
                }
            )*
        }
        mod mariadb {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::common::run_mariadb(crate::$module::$name).await;
                }
            )*
        }
    };
}

contract! {
    access::ping_answers,
    access::demo_users_are_loaded,
    access::demo_access_facts_for_every_user_and_room,
    access::room_access_many_answers_like_room_access,
    access::access_facts_follow_the_directory,
    access::dataset_loading_is_idempotent,
    access::dataset_with_a_broken_reference_is_refused_whole,
    messages::batch_is_stored_in_order_with_increasing_ids,
    messages::rejected_message_leaves_the_rest_of_the_batch,
    messages::plain_batch_refuses_its_bad_messages_alone,
    messages::client_message_id_makes_a_resend_return_the_original,
    messages::reply_carries_its_parent_without_nesting,
    messages::edit_sets_content_and_edited_at,
    messages::delete_leaves_a_tombstone,
    messages::created_at_is_what_the_store_stored,
    messages::oversized_content_is_refused,
    history::paging_across_120_messages,
    history::catch_up_after_an_id,
    history::page_limits_are_clamped,
    history::rooms_do_not_share_history,
    reads::read_receipt_is_recorded_once_per_user,
    reads::read_of_unknown_message_or_user_is_not_found,
    files::file_lifecycle,
    files::file_message_takes_metadata_from_the_record,
    files::file_record_limits_are_enforced,
    fixture::fixture_lets_every_user_into_every_project,
}
