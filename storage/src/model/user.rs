//! Users and their role, as the spec's access rules and `auth:success` need them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::UserId;

/// The role that selects which access rules apply (spec: "Room Access Rules").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Accesses projects they created or were granted, and those projects' studies.
    Manager,
    /// Accesses projects and studies where they have assigned tasks.
    Researcher,
}

impl Role {
    /// The stored and serialised name (`manager` / `researcher`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::Researcher => "researcher",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is neither `manager` nor `researcher`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (expected manager or researcher)")]
pub struct ParseRoleError(pub String);

impl FromStr for Role {
    type Err = ParseRoleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "manager" => Ok(Role::Manager),
            "researcher" => Ok(Role::Researcher),
            other => Err(ParseRoleError(other.to_owned())),
        }
    }
}

/// A user of the Task Tracker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
}

impl User {
    /// The public part carried by messages and typing events.
    pub fn summary(&self) -> UserSummary {
        UserSummary {
            id: self.id,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
        }
    }
}

/// `{id, firstName, lastName}`: the sender relation of a message and the `user`
/// of `typing:started`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub id: UserId,
    pub first_name: String,
    pub last_name: String,
}
