//! The Socket.IO layer over HTTP long-polling: the same packets as over WebSocket,
//! several per body (0x1e separated), binary attachments as `b`+base64 records.

mod socketio_common;

use socketio_common::*;

#[tokio::test]
async fn connect_event_and_ack_over_polling() {
    let server = conformance().await;
    let client = Polling::open(server.addr).await;
    assert_eq!(client.post("40").await, 200);
    let records = client.get_records(2).await;
    sid_of(&records[0], "40");
    assert_eq!(records[1], r#"42["auth",{}]"#);

    // Two packets in one body, answered in order.
    let body = "42[\"message\",1]\u{1e}427[\"message-with-ack\",\"a\"]";
    assert_eq!(client.post(body).await, 200);
    let records = client.get_records(2).await;
    assert_eq!(records, vec![r#"42["message-back",1]"#, r#"437["a"]"#]);
}

#[tokio::test]
async fn binary_attachments_over_polling_are_base64_records() {
    let server = conformance().await;
    let client = Polling::open(server.addr).await;
    assert_eq!(client.post("40").await, 200);
    client.get_records(2).await;
    // [1,2,3] is "AQID" in base64.
    let body = "451-[\"message\",{\"_placeholder\":true,\"num\":0}]\u{1e}bAQID";
    assert_eq!(client.post(body).await, 200);
    let records = client.get_records(2).await;
    assert_eq!(
        records,
        vec![
            r#"451-["message-back",{"_placeholder":true,"num":0}]"#,
            "bAQID"
        ]
    );
}

#[tokio::test]
async fn custom_namespace_and_refusal_over_polling() {
    let server = conformance().await;
    let client = Polling::open(server.addr).await;
    assert_eq!(
        client
            .post("40/custom,{\"token\":\"t\"}\u{1e}40/secure,{\"token\":\"no\"}")
            .await,
        200
    );
    let mut records = client.get_records(3).await;
    // Each namespace answers on its own task: the two answers may come in either
    // order, but the custom namespace's auth emit follows its CONNECT answer.
    let connect = records
        .iter()
        .position(|r| r.starts_with("40/custom,"))
        .expect("CONNECT answer");
    let auth = records
        .iter()
        .position(|r| r == r#"42/custom,["auth",{"token":"t"}]"#)
        .expect("auth emit");
    assert!(connect < auth);
    sid_of(&records[connect], "40/custom,");
    records.remove(auth);
    records.remove(connect);
    assert_eq!(
        records,
        vec![r#"44/secure,{"message":"unauthorized","data":{"code":"BAD_TOKEN"}}"#]
    );
}

#[tokio::test]
async fn malformed_packet_over_polling_closes_the_session() {
    let server = conformance().await;
    let client = Polling::open(server.addr).await;
    assert_eq!(client.post("40").await, 200);
    client.get_records(2).await;
    assert_eq!(client.post("42{}").await, 200);
    eventually("session closed", || server.io.session_count() == 0).await;
}
