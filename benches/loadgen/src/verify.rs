//! After a persisted run: is every acknowledged message in the database? The ids the
//! acks carried are looked up in the `messages` table (Huddle's schema and the Node
//! peer's Sequelize model both use that table and its `id` column), and the rows
//! this run stored are counted by their marker.

use mysql_async::prelude::Queryable;
use mysql_async::{Opts, Pool};
use serde::Serialize;

/// Ids per lookup query.
const CHUNK: usize = 1000;

/// What the database holds of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DbCheck {
    /// Acknowledged message ids.
    pub acked: u64,
    /// ... found in the table.
    pub found: u64,
    /// ... not found: lost.
    pub missing: u64,
    /// Acks that repeated an id another ack already carried (two sends, one row).
    pub duplicate_acks: u64,
    /// Rows of this run in the table (sends stored but not acknowledged before the
    /// end are counted here too).
    pub stored: u64,
}

/// A check that could not be done.
#[derive(Debug, thiserror::Error)]
#[error("database check failed: {0}")]
pub struct VerifyError(String);

fn id_list(ids: &[u64]) -> String {
    let mut s = String::with_capacity(ids.len() * 8);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s
}

/// Looks up `acked` ids and counts the run's rows in the database at `url`.
pub async fn check(url: &str, run: u32, acked: &[u64]) -> Result<DbCheck, VerifyError> {
    let err = |e: mysql_async::Error| VerifyError(e.to_string());
    let opts = Opts::from_url(url).map_err(|e| VerifyError(e.to_string()))?;
    let pool = Pool::new(opts);
    let result = async {
        let mut conn = pool.get_conn().await.map_err(err)?;
        let mut unique = acked.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let mut found = 0u64;
        for chunk in unique.chunks(CHUNK) {
            let rows: Vec<u64> = conn
                .query(format!(
                    "SELECT id FROM messages WHERE id IN ({})",
                    id_list(chunk)
                ))
                .await
                .map_err(err)?;
            found += rows.len() as u64;
        }
        let stored: Option<u64> = conn
            .exec_first(
                "SELECT COUNT(*) FROM messages WHERE content LIKE ?",
                (format!("lg {run} %"),),
            )
            .await
            .map_err(err)?;
        Ok(DbCheck {
            acked: acked.len() as u64,
            found,
            missing: unique.len() as u64 - found,
            duplicate_acks: (acked.len() - unique.len()) as u64,
            stored: stored.unwrap_or(0),
        })
    }
    .await;
    let _ = pool.disconnect().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_listed_for_the_in_clause() {
        assert_eq!(id_list(&[1, 22, 333]), "1,22,333");
        assert_eq!(id_list(&[]), "");
    }

    #[tokio::test]
    async fn a_bad_url_is_an_error_not_a_panic() {
        assert!(check("not a url", 1, &[1]).await.is_err());
    }
}
