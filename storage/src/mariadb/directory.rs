//! Users, access facts, and loading the directory (demo data, fixture).

use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, TxOpts};

use super::errors::{ER_NO_REFERENCED_ROW, ER_NO_SUCH_TABLE, map, server_code};
use super::rows::{take, user_from_row};
use super::within;
use crate::error::StoreError;
use crate::model::{RoomAccessFacts, RoomRef, RoomType, User, UserId};
use crate::seed::{Dataset, FixtureSpec};

pub(super) async fn get_user(conn: &mut Conn, id: UserId) -> Result<Option<User>, StoreError> {
    let row = conn
        .exec_first(
            "SELECT id, first_name, last_name, role FROM users WHERE id = ?",
            (id,),
        )
        .await
        .map_err(map)?;
    row.map(user_from_row).transpose()
}

/// Pairs per access query: a UNION of this many index lookups stays a small statement.
const ACCESS_PAIRS_PER_QUERY: usize = 100;

pub(super) async fn room_access(
    conn: &mut Conn,
    user_id: UserId,
    room: RoomRef,
) -> Result<Option<RoomAccessFacts>, StoreError> {
    let mut facts = room_access_many(conn, &[(user_id, room)]).await?;
    Ok(facts.pop().flatten())
}

/// The facts of every pair, one round trip per [`ACCESS_PAIRS_PER_QUERY`] pairs: a
/// `UNION ALL` of one row per pair whose room exists, tagged with the pair's index.
/// Each `EXISTS` is one lookup on a full index prefix: project_access's primary key
/// (project_id, user_id), tasks' (project_id, assignee_id) and (study_id,
/// project_id, assignee_id). The statement is text built from integers only (ids and
/// indexes), so it needs no prepared statement per pair count.
pub(super) async fn room_access_many(
    conn: &mut Conn,
    pairs: &[(UserId, RoomRef)],
) -> Result<Vec<Option<RoomAccessFacts>>, StoreError> {
    let mut out: Vec<Option<RoomAccessFacts>> = vec![None; pairs.len()];
    for (chunk_index, chunk) in pairs.chunks(ACCESS_PAIRS_PER_QUERY).enumerate() {
        let first = chunk_index * ACCESS_PAIRS_PER_QUERY;
        let query = chunk
            .iter()
            .enumerate()
            .map(|(i, &(user, room))| facts_select(first + i, user, room))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let rows: Vec<mysql_async::Row> = conn.query(query).await.map_err(map)?;
        for mut row in rows {
            let index: usize = take(&mut row, 0)?;
            let Some(&(_, room)) = pairs.get(index) else {
                return Err(StoreError::Backend(format!(
                    "access query answered for pair {index} of {}",
                    pairs.len()
                )));
            };
            out[index] = Some(RoomAccessFacts {
                room,
                project_id: take(&mut row, 1)?,
                project_created_by: take(&mut row, 2)?,
                user_has_grant: take(&mut row, 3)?,
                user_has_task_in_project: take(&mut row, 4)?,
                user_has_task_in_study: take(&mut row, 5)?,
            });
        }
    }
    Ok(out)
}

/// The row of one pair: `index, project id, project creator, grant, task in project,
/// task in study (NULL for a project room)`; no row if the room does not exist.
fn facts_select(index: usize, user: UserId, room: RoomRef) -> String {
    let common = format!(
        "SELECT {index}, p.id, p.created_by, \
         EXISTS(SELECT 1 FROM project_access a WHERE a.project_id = p.id AND a.user_id = {user}), \
         EXISTS(SELECT 1 FROM tasks t WHERE t.assignee_id = {user} AND t.project_id = p.id), "
    );
    match room.kind {
        RoomType::Project => format!("{common}NULL FROM projects p WHERE p.id = {}", room.id),
        RoomType::Study => format!(
            "{common}EXISTS(SELECT 1 FROM tasks t \
             WHERE t.study_id = s.id AND t.project_id = p.id AND t.assignee_id = {user}) \
             FROM studies s JOIN projects p ON p.id = s.project_id WHERE s.id = {}",
            room.id
        ),
    }
}

fn dataset_error(e: mysql_async::Error) -> StoreError {
    if server_code(&e) == Some(ER_NO_REFERENCED_ROW) {
        StoreError::Invalid(format!(
            "dataset: a row refers to something that does not exist ({e})"
        ))
    } else {
        map(e)
    }
}

/// Loads a dataset in one transaction; `ON DUPLICATE KEY UPDATE id = id` keeps rows
/// that exist as they are (unlike `INSERT IGNORE`, it still reports broken
/// references).
pub(super) async fn load_dataset(conn: &mut Conn, data: &Dataset) -> Result<(), StoreError> {
    let mut tx = conn
        .start_transaction(TxOpts::default())
        .await
        .map_err(map)?;
    if !data.users.is_empty() {
        tx.exec_batch(
            "INSERT INTO users (id, first_name, last_name, role) VALUES (?, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE id = id",
            data.users
                .iter()
                .map(|u| (u.id, &u.first_name, &u.last_name, u.role.as_str())),
        )
        .await
        .map_err(dataset_error)?;
    }
    if !data.projects.is_empty() {
        tx.exec_batch(
            "INSERT INTO projects (id, name, created_by) VALUES (?, ?, ?) \
             ON DUPLICATE KEY UPDATE id = id",
            data.projects.iter().map(|p| (p.id, &p.name, p.created_by)),
        )
        .await
        .map_err(dataset_error)?;
    }
    if !data.grants.is_empty() {
        tx.exec_batch(
            "INSERT INTO project_access (project_id, user_id) VALUES (?, ?) \
             ON DUPLICATE KEY UPDATE project_id = project_id",
            data.grants.iter().map(|g| (g.project_id, g.user_id)),
        )
        .await
        .map_err(dataset_error)?;
    }
    if !data.studies.is_empty() {
        tx.exec_batch(
            "INSERT INTO studies (id, project_id, name) VALUES (?, ?, ?) \
             ON DUPLICATE KEY UPDATE id = id",
            data.studies.iter().map(|s| (s.id, s.project_id, &s.name)),
        )
        .await
        .map_err(dataset_error)?;
    }
    if !data.tasks.is_empty() {
        tx.exec_batch(
            "INSERT INTO tasks (id, project_id, study_id, assignee_id, title) \
             VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id",
            data.tasks
                .iter()
                .map(|t| (t.id, t.project_id, t.study_id, t.assignee_id, &t.title)),
        )
        .await
        .map_err(dataset_error)?;
    }
    tx.commit().await.map_err(map)
}

/// Rows per fixture task statement: big enough to be fast, small enough that each
/// statement's transaction stays modest.
const FIXTURE_TASK_ROWS_PER_STATEMENT: u64 = 50_000;

fn fixture_error(e: mysql_async::Error) -> StoreError {
    if server_code(&e) == Some(ER_NO_SUCH_TABLE) {
        StoreError::Backend(format!(
            "loading a fixture needs MariaDB's SEQUENCE engine (seq_1_to_N tables): {e}"
        ))
    } else {
        map(e)
    }
}

/// Generates the fixture inside MariaDB from its SEQUENCE engine (`seq_1_to_N`), so
/// millions of task rows never cross the connection. Rows are generated in
/// (project, user) order, which appends to both task lookup indexes. Idempotent: existing users
/// and projects are kept, and a task is only added where the user has none in that
/// project. Each statement commits on its own and is bounded by `statement_timeout`.
pub(super) async fn load_fixture(
    conn: &mut Conn,
    spec: &FixtureSpec,
    statement_timeout: Duration,
) -> Result<(), StoreError> {
    // Table names are built from two validated integers, never from text.
    let (users, projects) = (spec.users, spec.projects);
    let mut statements = vec![
        format!(
            "INSERT INTO users (id, first_name, last_name, role) \
             SELECT seq, '{first}', CAST(seq AS CHAR), 'researcher' FROM seq_1_to_{users} \
             ON DUPLICATE KEY UPDATE id = users.id",
            first = FixtureSpec::user_first_name(0)
        ),
        format!(
            "INSERT INTO projects (id, name, created_by) \
             SELECT seq, CONCAT('Project ', seq), {creator} FROM seq_1_to_{projects} \
             ON DUPLICATE KEY UPDATE id = projects.id",
            creator = FixtureSpec::PROJECT_CREATOR
        ),
    ];
    let per_statement = (FIXTURE_TASK_ROWS_PER_STATEMENT / users).max(1);
    let mut first = 1;
    while first <= projects {
        let last = (first + per_statement - 1).min(projects);
        statements.push(format!(
            "INSERT INTO tasks (project_id, study_id, assignee_id, title) \
             SELECT p.seq, NULL, u.seq, '{title}' \
             FROM seq_{first}_to_{last} p JOIN seq_1_to_{users} u \
             WHERE NOT EXISTS (SELECT 1 FROM tasks t \
                               WHERE t.project_id = p.seq AND t.assignee_id = u.seq)",
            title = FixtureSpec::TASK_TITLE
        ));
        first = last + 1;
    }
    for statement in statements {
        within(statement_timeout, async {
            conn.query_drop(statement.as_str())
                .await
                .map_err(fixture_error)
        })
        .await?;
    }
    Ok(())
}
