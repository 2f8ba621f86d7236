//! The floor: what fan-out costs with no Engine.IO or Socket.IO framing, no
//! authentication and no storage — the lower bound every Socket.IO server is
//! measured against. This module holds the floor's wire rules (used by the
//! `huddle-floor` server binary) and the driver of a floor client.
//!
//! Wire rules:
//! - a client connects with `ws://ADDR/?rooms=1,2` and is in those rooms once the
//!   server has sent the text frame `joined`;
//! - a client's text frame `<room> <content>` is sent as `<content>` to every member
//!   of the room, the sender included;
//! - anything else is ignored.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::client::{Client, Flow, due};
use crate::config::RunConfig;
use crate::marker::Marker;
use crate::stats::ClientStats;

/// The server's frame telling a client it is in its rooms.
pub const JOINED: &str = "joined";

/// Most rooms one floor client may join.
pub const MAX_ROOMS: usize = 64;

/// A floor request that cannot be served.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FloorError {
    #[error("the query must be rooms=1,2,... (got {0:?})")]
    BadQuery(String),
    #[error("at most {MAX_ROOMS} rooms")]
    TooManyRooms,
}

/// The rooms of a connection request's query string.
pub fn parse_rooms(query: Option<&str>) -> Result<Vec<u64>, FloorError> {
    let query = query.unwrap_or("");
    let bad = || FloorError::BadQuery(query.chars().take(80).collect());
    let list = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("rooms="))
        .ok_or_else(bad)?;
    let rooms = list
        .split(',')
        .map(|r| r.parse::<u64>().map_err(|_| bad()))
        .collect::<Result<Vec<_>, _>>()?;
    if rooms.len() > MAX_ROOMS {
        return Err(FloorError::TooManyRooms);
    }
    Ok(rooms)
}

/// A client's frame sending `content` to `room`.
pub fn client_frame(room: u64, content: &str) -> String {
    format!("{room} {content}")
}

/// Splits a client frame into its room and the byte offset where the content starts.
pub fn parse_client_frame(text: &str) -> Option<(u64, usize)> {
    let (room, _) = text.split_once(' ')?;
    Some((room.parse().ok()?, room.len() + 1))
}

/// Runs one floor client until `stop`.
pub async fn run(
    cfg: Arc<RunConfig>,
    mut client: Client,
    rooms: Vec<u64>,
    permits: Arc<Semaphore>,
    stop: CancellationToken,
) -> ClientStats {
    let list = rooms
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let url = format!("ws://{}/?rooms={list}", cfg.addr);
    let opened = {
        let _permit = permits.acquire().await;
        let started = Instant::now();
        let attempt = async {
            let mut ws = crate::ws::open(cfg.addr, &url).await?;
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) if t.as_str() == JOINED => return Ok(ws),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(format!("read: {e}")),
                    None => return Err("closed while joining".to_owned()),
                }
            }
        };
        match tokio::time::timeout(cfg.connect_timeout, attempt).await {
            Ok(Ok(ws)) => Some((ws, started.elapsed())),
            Ok(Err(e)) => {
                client.stats.error(e);
                None
            }
            Err(_) => {
                client.stats.error("connect timeout");
                None
            }
        }
    };
    let (mut ws, took) = match opened {
        Some((ws, took)) => (ws, Some(took)),
        None => {
            client.connected(None);
            return client.stats;
        }
    };
    if client.connected(took) == Flow::Stop {
        return client.stats;
    }
    let shared = client.shared_arc();
    let mut phases = shared.phases();
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => break,
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) => match Marker::parse(text.as_bytes()) {
                    Some(marker) => {
                        client.stats.delivered_bytes += text.len() as u64;
                        client.on_delivery(marker);
                    }
                    None => client.stats.unmarked += 1,
                },
                Some(Ok(Message::Close(_))) | None => {
                    client.stats.dropped = true;
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    client.stats.error(format!("read: {e}"));
                    client.stats.dropped = true;
                    break;
                }
            },
            _ = due(&mut client.sender, &shared, &mut phases) => {
                if let Some(frame) = client.send_floor()
                    && let Err(e) = ws.send(Message::Text(frame.into())).await
                {
                    client.stats.error(format!("write: {e}"));
                    client.stats.dropped = true;
                    break;
                }
            }
        }
    }
    client.stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_come_from_the_query() {
        assert_eq!(parse_rooms(Some("rooms=1,2,30")), Ok(vec![1, 2, 30]));
        assert_eq!(parse_rooms(Some("x=1&rooms=7")), Ok(vec![7]));
        assert!(matches!(parse_rooms(None), Err(FloorError::BadQuery(_))));
        assert!(matches!(
            parse_rooms(Some("rooms=")),
            Err(FloorError::BadQuery(_))
        ));
        assert!(matches!(
            parse_rooms(Some("rooms=1,x")),
            Err(FloorError::BadQuery(_))
        ));
        let many = (0..65).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        assert_eq!(
            parse_rooms(Some(&format!("rooms={many}"))),
            Err(FloorError::TooManyRooms)
        );
    }

    #[test]
    fn frames_carry_the_room_then_the_content() {
        let frame = client_frame(12, "lg 1 2 3 4 ..");
        assert_eq!(frame, "12 lg 1 2 3 4 ..");
        let (room, at) = parse_client_frame(&frame).unwrap();
        assert_eq!((room, &frame[at..]), (12, "lg 1 2 3 4 .."));
        assert_eq!(parse_client_frame("nospace"), None);
        assert_eq!(parse_client_frame("x hello"), None);
    }
}
