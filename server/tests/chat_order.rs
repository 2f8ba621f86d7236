//! Order and durability (issue 4 item 8): with several senders at once, every member of the
//! room receives `message:new` in the same order, the order of ids; each sender's messages are
//! stored in the order sent; history equals the live sequence.

mod chat_support;

use chat_support::*;
use serde_json::{Value, json};

const PER_SENDER: usize = 40;

#[tokio::test]
async fn concurrent_senders_one_order_for_everyone() {
    let server = start().await;
    // Project 1: Ada (1), Alan (3), Edsger (5); a second Ada connection watches only.
    let mut senders = [
        server.client(1).await,
        server.client(3).await,
        server.client(5).await,
    ];
    let mut watcher = server.client(1).await;
    for c in senders.iter_mut() {
        c.join("project", 1).await;
    }
    watcher.join("project", 1).await;

    // Every sender pipelines its messages without waiting: the server sees them interleaved.
    for i in 0..PER_SENDER {
        for c in senders.iter_mut() {
            let content = format!("u{}-{i}", c.user);
            c.emit(
                "message:send",
                json!({"roomType": "project", "roomId": 1, "content": content}),
            )
            .await;
        }
    }

    let total = PER_SENDER * senders.len();
    let mut sequences: Vec<Vec<(u64, String)>> = Vec::new();
    for c in senders.iter_mut().chain(std::iter::once(&mut watcher)) {
        let mut seq = Vec::with_capacity(total);
        for _ in 0..total {
            let m = c.event("message:new").await["message"].clone();
            seq.push((
                m["id"].as_u64().unwrap(),
                m["content"].as_str().unwrap().to_owned(),
            ));
        }
        sequences.push(seq);
    }
    let first = &sequences[0];
    for (n, seq) in sequences.iter().enumerate() {
        assert_eq!(seq, first, "client {n} saw another order");
    }
    assert!(
        first.windows(2).all(|w| w[0].0 < w[1].0),
        "broadcast order is id order"
    );
    for user in [1, 3, 5] {
        let own: Vec<&str> = first
            .iter()
            .map(|(_, c)| c.as_str())
            .filter(|c| c.starts_with(&format!("u{user}-")))
            .collect();
        let expected: Vec<String> = (0..PER_SENDER).map(|i| format!("u{user}-{i}")).collect();
        assert_eq!(own, expected, "user {user}'s messages in the order sent");
    }

    // History equals the live sequence.
    let mut history: Vec<(u64, String)> = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let page = watcher
            .request(
                "message:history",
                json!({"roomType": "project", "roomId": 1, "cursor": cursor, "limit": 100}),
            )
            .await;
        let mut chunk: Vec<(u64, String)> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["id"].as_u64().unwrap(),
                    m["content"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        chunk.extend(history);
        history = chunk;
        if page["hasMore"] == false {
            break;
        }
        cursor = page["nextCursor"].clone();
    }
    assert_eq!(&history, first);
}

#[tokio::test]
async fn a_joiner_during_traffic_gets_no_gap_and_no_duplicate() {
    let server = start().await;
    let mut alan = server.client(3).await;
    alan.join("project", 1).await;
    for i in 0..30 {
        alan.emit(
            "message:send",
            json!({"roomType": "project", "roomId": 1, "content": format!("m{i}")}),
        )
        .await;
    }
    // Ada joins while those are being stored.
    let mut ada = server.client(1).await;
    let (_, _, history) = ada.join("project", 1).await;
    let mut ids: Vec<u64> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    let from_history = ids.len();
    while ids.len() < 30 {
        let m = ada.event("message:new").await;
        ids.push(m["message"]["id"].as_u64().unwrap());
    }
    let mut reference = Vec::new();
    for _ in 0..30 {
        reference.push(
            alan.event("message:new").await["message"]["id"]
                .as_u64()
                .unwrap(),
        );
    }
    assert_eq!(
        ids, reference,
        "history ({from_history}) then live: contiguous, no duplicate"
    );
}

/// Sends beyond the server's bound on sends in flight per socket, all with acks, none
/// awaited: every one is answered, by its own ack id, in the order sent, and a refused
/// send in the middle neither blocks nor reorders the others.
#[tokio::test]
async fn pipelined_sends_are_all_answered_in_order() {
    let total = 3 * u64::from(settings().max_sends_in_flight);
    let refused = total / 2;
    let server = start().await;
    let mut alan = server.client(3).await;
    alan.join("project", 1).await;
    for id in 0..total {
        let payload = if id == refused {
            json!({"roomType": "project", "roomId": 1, "content": "   "})
        } else {
            json!({"roomType": "project", "roomId": 1, "content": format!("p{id}")})
        };
        let packet = format!("42{id}{}", json!(["message:send", payload]));
        alan.ws.send(&packet).await;
    }
    let mut acks = std::collections::BTreeMap::new();
    while acks.len() < total as usize {
        let text = alan.ws.recv_text().await;
        if let Packet::Ack(id, value) = parse_packet(&text) {
            assert!(acks.insert(id, value).is_none(), "ack {id} answered twice");
        }
    }
    let mut last_id = 0;
    for (ack_id, ack) in &acks {
        if *ack_id == refused {
            assert_eq!(ack["ok"], false, "{ack}");
            assert_eq!(error_code(ack), "CONTENT_EMPTY", "{ack}");
            continue;
        }
        assert_eq!(ack["ok"], true, "{ack}");
        assert_eq!(ack["message"]["content"], format!("p{ack_id}"));
        let id = ack["message"]["id"].as_u64().unwrap();
        assert!(id > last_id, "stored in the order sent");
        last_id = id;
    }
}
