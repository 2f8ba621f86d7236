//! The generated load-test fixture: `users=N,projects=P` gives researchers 1..=N and
//! projects 1..=P (created by user 1), and one task per user in every project, so
//! every user may join every project room through the normal researcher rule. There
//! is no bypass: the benchmark's clients pass the same authentication and access
//! checks as anyone.

use std::fmt;
use std::str::FromStr;

/// Upper bounds for a fixture, so a typo cannot ask a store for billions of rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixtureLimits {
    /// Most users (default 1,000,000).
    pub max_users: u64,
    /// Most projects (default 100,000).
    pub max_projects: u64,
    /// Most tasks, users × projects (default 10,000,000; the in-memory store keeps
    /// 8 bytes per task).
    pub max_tasks: u64,
}

impl Default for FixtureLimits {
    fn default() -> Self {
        Self {
            max_users: 1_000_000,
            max_projects: 100_000,
            max_tasks: 10_000_000,
        }
    }
}

/// A parsed fixture spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixtureSpec {
    /// Users 1..=users, all researchers.
    pub users: u64,
    /// Projects 1..=projects.
    pub projects: u64,
}

/// Why a fixture spec was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FixtureError {
    #[error("fixture item {0:?} is not key=value (expected users=N,projects=P)")]
    NotKeyValue(String),
    #[error("unknown fixture key {0:?} (expected users and projects)")]
    UnknownKey(String),
    #[error("fixture key {0:?} is given twice")]
    Repeated(String),
    #[error("fixture key {0:?} is missing (expected users=N,projects=P)")]
    Missing(&'static str),
    #[error("fixture {key}={value:?} is not a whole number from 1 to {max}")]
    OutOfRange {
        key: &'static str,
        value: String,
        max: u64,
    },
    #[error("fixture needs {tasks} tasks (users x projects), more than the limit of {max}")]
    TooManyTasks { tasks: u64, max: u64 },
}

impl FixtureSpec {
    /// Parses `users=N,projects=P` (either order, spaces allowed) with the default
    /// limits.
    pub fn parse(text: &str) -> Result<Self, FixtureError> {
        Self::parse_with_limits(text, &FixtureLimits::default())
    }

    /// Parses with explicit limits.
    pub fn parse_with_limits(text: &str, limits: &FixtureLimits) -> Result<Self, FixtureError> {
        let mut users = None;
        let mut projects = None;
        for item in text.split(',') {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| FixtureError::NotKeyValue(item.trim().to_owned()))?;
            let (key, value) = (key.trim(), value.trim());
            let (slot, name, max) = match key {
                "users" => (&mut users, "users", limits.max_users),
                "projects" => (&mut projects, "projects", limits.max_projects),
                other => return Err(FixtureError::UnknownKey(other.to_owned())),
            };
            if slot.is_some() {
                return Err(FixtureError::Repeated(name.to_owned()));
            }
            let out_of_range = || FixtureError::OutOfRange {
                key: name,
                value: value.to_owned(),
                max,
            };
            let n: u64 = value.parse().map_err(|_| out_of_range())?;
            if n == 0 || n > max {
                return Err(out_of_range());
            }
            *slot = Some(n);
        }
        let spec = FixtureSpec {
            users: users.ok_or(FixtureError::Missing("users"))?,
            projects: projects.ok_or(FixtureError::Missing("projects"))?,
        };
        let tasks = spec.tasks();
        if tasks > limits.max_tasks {
            return Err(FixtureError::TooManyTasks {
                tasks,
                max: limits.max_tasks,
            });
        }
        Ok(spec)
    }

    /// How many tasks the fixture holds (one per user and project).
    pub fn tasks(&self) -> u64 {
        self.users.saturating_mul(self.projects)
    }

    /// The first name of fixture user `id`.
    pub fn user_first_name(_id: u64) -> &'static str {
        "User"
    }

    /// The last name of fixture user `id`.
    pub fn user_last_name(id: u64) -> String {
        id.to_string()
    }

    /// The name of fixture project `id`.
    pub fn project_name(id: u64) -> String {
        format!("Project {id}")
    }

    /// Fixture projects are created by user 1 (a researcher, so creation gives no
    /// access: every user gets in by their task).
    pub const PROJECT_CREATOR: u64 = 1;

    /// The title of every fixture task.
    pub const TASK_TITLE: &'static str = "Fixture task";
}

impl FromStr for FixtureSpec {
    type Err = FixtureError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for FixtureSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "users={},projects={}", self.users, self.projects)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_orders_and_spaces() {
        let spec = FixtureSpec::parse("users=5000,projects=400").unwrap();
        assert_eq!(
            (spec.users, spec.projects, spec.tasks()),
            (5000, 400, 2_000_000)
        );
        assert_eq!(
            FixtureSpec::parse(" projects = 2 , users=3 ")
                .unwrap()
                .users,
            3
        );
        assert_eq!(spec.to_string().parse::<FixtureSpec>().unwrap(), spec);
    }

    #[test]
    fn refuses_malformed_specs() {
        let cases = [
            ("users=5", FixtureError::Missing("projects")),
            ("projects=5", FixtureError::Missing("users")),
            (
                "users=5,users=6,projects=1",
                FixtureError::Repeated("users".into()),
            ),
            ("users=5,rooms=1", FixtureError::UnknownKey("rooms".into())),
            (
                "users5,projects=1",
                FixtureError::NotKeyValue("users5".into()),
            ),
            ("", FixtureError::NotKeyValue(String::new())),
        ];
        for (text, expected) in cases {
            assert_eq!(FixtureSpec::parse(text), Err(expected), "{text}");
        }
        for text in [
            "users=0,projects=1",
            "users=-1,projects=1",
            "users=x,projects=1",
        ] {
            assert!(
                matches!(
                    FixtureSpec::parse(text),
                    Err(FixtureError::OutOfRange { key: "users", .. })
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn limits_are_enforced() {
        let limits = FixtureLimits {
            max_users: 10,
            max_projects: 5,
            max_tasks: 20,
        };
        assert!(FixtureSpec::parse_with_limits("users=10,projects=2", &limits).is_ok());
        assert!(matches!(
            FixtureSpec::parse_with_limits("users=11,projects=1", &limits),
            Err(FixtureError::OutOfRange {
                key: "users",
                max: 10,
                ..
            })
        ));
        assert!(matches!(
            FixtureSpec::parse_with_limits("users=1,projects=6", &limits),
            Err(FixtureError::OutOfRange {
                key: "projects",
                max: 5,
                ..
            })
        ));
        assert_eq!(
            FixtureSpec::parse_with_limits("users=10,projects=3", &limits),
            Err(FixtureError::TooManyTasks { tasks: 30, max: 20 })
        );
        let defaults = FixtureLimits::default();
        assert!(FixtureSpec::parse("users=1000001,projects=1").is_err());
        assert_eq!(defaults.max_tasks, 10_000_000);
        assert!(FixtureSpec::parse("users=100000,projects=101").is_err());
    }
}
