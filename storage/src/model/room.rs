//! Chat rooms: `project:{id}` and `study:{id}` (spec: "Room Naming Convention").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The two kinds of room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoomType {
    Project,
    Study,
}

impl RoomType {
    /// The stored and serialised name (`project` / `study`).
    pub fn as_str(self) -> &'static str {
        match self {
            RoomType::Project => "project",
            RoomType::Study => "study",
        }
    }
}

impl fmt::Display for RoomType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RoomType {
    type Err = ParseRoomError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "project" => Ok(RoomType::Project),
            "study" => Ok(RoomType::Study),
            other => Err(ParseRoomError(format!(
                "unknown room type {other:?} (expected project or study)"
            ))),
        }
    }
}

/// One room: `{type, id}` as in `room:join`; displays as `project:1` / `study:5`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RoomRef {
    #[serde(rename = "type")]
    pub kind: RoomType,
    pub id: u64,
}

impl RoomRef {
    /// The room of project `id`.
    pub fn project(id: u64) -> Self {
        Self {
            kind: RoomType::Project,
            id,
        }
    }

    /// The room of study `id`.
    pub fn study(id: u64) -> Self {
        Self {
            kind: RoomType::Study,
            id,
        }
    }
}

impl fmt::Display for RoomRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}

/// A room name that is not `project:{id}` or `study:{id}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseRoomError(pub String);

impl FromStr for RoomRef {
    type Err = ParseRoomError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, id) = s
            .split_once(':')
            .ok_or_else(|| ParseRoomError(format!("room {s:?} is not type:id")))?;
        let id = id
            .parse()
            .map_err(|_| ParseRoomError(format!("room id {id:?} is not a number")))?;
        Ok(Self {
            kind: kind.parse()?,
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_round_trip() {
        for room in [RoomRef::project(1), RoomRef::study(42)] {
            assert_eq!(room.to_string().parse::<RoomRef>().unwrap(), room);
        }
        assert_eq!(RoomRef::study(5).to_string(), "study:5");
    }

    #[test]
    fn bad_room_names_are_refused() {
        for bad in ["project", "team:1", "project:x", "study:-1", ""] {
            assert!(bad.parse::<RoomRef>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn room_ref_serialises_as_join_payload() {
        let json = serde_json::to_string(&RoomRef::project(3)).unwrap();
        assert_eq!(json, r#"{"type":"project","id":3}"#);
    }
}
