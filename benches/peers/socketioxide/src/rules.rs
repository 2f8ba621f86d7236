//! What the chat checks before it acts, as Huddle does: payload shape, text rules,
//! sanitising, and the access rules (spec: "Room Access Rules").

use serde_json::Value;

/// Longest text, in Unicode code points as sent.
pub const MAX_CONTENT_CHARS: usize = 10_000;
/// Messages in the page sent on join.
pub const HISTORY_PAGE: usize = 50;

/// A refused event: a code from Huddle's list and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ChatError {
    pub code: &'static str,
    pub message: String,
}

pub fn err(code: &'static str, message: impl Into<String>) -> ChatError {
    ChatError {
        code,
        message: message.into(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoomType {
    Project,
    Study,
}

impl RoomType {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomType::Project => "project",
            RoomType::Study => "study",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Room {
    pub kind: RoomType,
    pub id: u64,
}

impl Room {
    /// The Socket.IO room name, as Huddle names it.
    pub fn name(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.id)
    }
}

pub fn parse_room(data: &Value, type_key: &str, id_key: &str) -> Result<Room, ChatError> {
    let obj = data
        .as_object()
        .ok_or_else(|| err("INVALID_PAYLOAD", "payload must be an object"))?;
    let kind = match obj.get(type_key).and_then(Value::as_str) {
        Some("project") => RoomType::Project,
        Some("study") => RoomType::Study,
        _ => {
            return Err(err(
                "INVALID_PAYLOAD",
                format!("{type_key} must be project or study"),
            ));
        }
    };
    let id = obj
        .get(id_key)
        .and_then(Value::as_u64)
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            err(
                "INVALID_PAYLOAD",
                format!("{id_key} must be a positive integer"),
            )
        })?;
    Ok(Room { kind, id })
}

/// A `message:send` payload, checked, with its content sanitised.
pub fn parse_send(data: &Value) -> Result<(Room, String), ChatError> {
    let room = parse_room(data, "roomType", "roomId")?;
    match data.get("type").and_then(Value::as_str).unwrap_or("text") {
        "text" => {}
        "image" | "file" => {
            return Err(err(
                "UNSUPPORTED_TYPE",
                "image and file messages are not supported",
            ));
        }
        _ => return Err(err("INVALID_PAYLOAD", "type must be text, image or file")),
    }
    let content = data
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| err("CONTENT_EMPTY", "content must not be empty"))?;
    if content.trim().is_empty() {
        return Err(err("CONTENT_EMPTY", "content must not be empty"));
    }
    if content.chars().nth(MAX_CONTENT_CHARS).is_some() {
        return Err(err(
            "CONTENT_TOO_LONG",
            format!("content is longer than {MAX_CONTENT_CHARS} characters"),
        ));
    }
    Ok((room, sanitize(content)))
}

fn opens_markup(next: Option<char>) -> bool {
    next.is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'))
}

/// Removes tags (a `<` that opens markup, up to the next `>`), control characters
/// other than newline and tab; `\r\n` and `\r` become `\n`. Text without markup —
/// like the load's — passes through the cheap path.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' if opens_markup(chars.peek().copied()) => {
                for c in chars.by_ref() {
                    if c == '>' {
                        break;
                    }
                }
            }
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The user's role. The fixture holds researchers only; the manager rule is kept so
/// the access check is the whole rule, as in Huddle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code)]
pub enum Role {
    Manager,
    Researcher,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::Researcher => "researcher",
        }
    }
}

/// What the store knows about a user and a room.
#[derive(Clone, Copy, Debug)]
pub struct RoomFacts {
    pub created_by: u64,
    pub granted: bool,
    pub has_task: bool,
}

/// Managers reach what they created or were granted; researchers reach projects
/// where they have a task.
pub fn allows(user_id: u64, role: Role, facts: &RoomFacts) -> bool {
    match role {
        Role::Manager => facts.created_by == user_id || facts.granted,
        Role::Researcher => facts.has_task,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn send_payloads_are_checked_and_sanitised() {
        let (room, content) = parse_send(
            &json!({"roomType":"project","roomId":3,"content":"a <b>bold</b> 1 < 2","type":"text"}),
        )
        .unwrap();
        assert_eq!(room.name(), "project:3");
        assert_eq!(content, "a bold 1 < 2");
        let code = |v: Value| parse_send(&v).err().map(|e| e.code);
        assert_eq!(
            code(json!({"roomType":"project","roomId":1,"content":"  "})),
            Some("CONTENT_EMPTY")
        );
        assert_eq!(
            code(json!({"roomType":"project","roomId":1,"content":"x".repeat(10_001)})),
            Some("CONTENT_TOO_LONG")
        );
        assert_eq!(
            code(json!({"roomType":"project","roomId":1,"content":"😀".repeat(10_000)})),
            None
        );
        assert_eq!(
            code(json!({"roomType":"room","roomId":1,"content":"x"})),
            Some("INVALID_PAYLOAD")
        );
        assert_eq!(
            code(json!({"roomType":"project","roomId":0,"content":"x"})),
            Some("INVALID_PAYLOAD")
        );
        assert_eq!(
            code(json!({"roomType":"project","roomId":1,"content":"x","type":"file"})),
            Some("UNSUPPORTED_TYPE")
        );
        assert_eq!(sanitize("a\r\nb\rc\u{7}d\te"), "a\nb\ncd\te");
    }

    #[test]
    fn access_rules() {
        let facts = RoomFacts {
            created_by: 1,
            granted: false,
            has_task: true,
        };
        assert!(allows(5, Role::Researcher, &facts));
        assert!(!allows(5, Role::Manager, &facts));
        assert!(allows(1, Role::Manager, &facts));
        assert!(!allows(
            5,
            Role::Researcher,
            &RoomFacts {
                has_task: false,
                ..facts
            }
        ));
    }
}
