//! `GET /api/files/{id}` over real TCP (issue 5 items 3 and 5): who may download (the
//! uploader, members of a room where a message carries the file; 401 without a token,
//! 404 for everyone else), the headers, Range and conditional requests.

mod files_support;

use files_support::*;
use huddle_storage::model::{MessageType, NewMessage, RoomRef};

async fn uploaded(server: &FilesServer, user: u64, name: &str, first: &[u8], len: u64) -> u64 {
    let token = server.token(user);
    let answer = upload(
        server.addr,
        Some(&token),
        name,
        "application/octet-stream",
        first,
        len,
    )
    .await;
    assert_eq!(answer.status, 201);
    answer.json()["fileId"].as_u64().unwrap()
}

async fn attach(server: &FilesServer, sender: u64, room: RoomRef, file_id: u64) {
    let message = NewMessage {
        kind: MessageType::File,
        file_id: Some(file_id),
        ..NewMessage::text(room, sender, "")
    };
    server
        .store
        .insert_messages(&[message])
        .await
        .expect("insert");
}

#[tokio::test]
async fn the_uploader_downloads_the_same_bytes_with_safe_headers() {
    let server = start().await;
    let id = uploaded(&server, 1, "été photo.png", PNG_HEAD, 300_000).await;
    let answer = get(
        server.addr,
        "GET",
        &format!("/api/files/{id}"),
        Some(&server.token(1)),
        &[],
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, contents(PNG_HEAD, 300_000));
    assert_eq!(answer.header("content-type"), Some("image/png"));
    assert_eq!(answer.header("content-length"), Some("300000"));
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(answer.header("accept-ranges"), Some("bytes"));
    assert_eq!(
        answer.header("content-disposition"),
        Some("inline; filename=\"_t_ photo.png\"; filename*=UTF-8''%C3%A9t%C3%A9%20photo.png")
    );
    assert!(answer.header("etag").is_some());
    assert!(answer.header("last-modified").is_some());
    // HEAD: the same headers, no body.
    let head = get(
        server.addr,
        "HEAD",
        &format!("/api/files/{id}"),
        Some(&server.token(1)),
        &[],
    )
    .await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("300000"));
}

#[tokio::test]
async fn active_content_is_served_as_a_sandboxed_attachment() {
    let server = start().await;
    // Named like an image, sniffed as HTML: served with its real type, but as a download
    // in a sandbox with no sniffing, so it never runs on the server's origin.
    let id = uploaded(
        &server,
        1,
        "cat.png",
        b"<html><script>alert(1)</script>",
        31,
    )
    .await;
    let answer = get(
        server.addr,
        "GET",
        &format!("/api/files/{id}"),
        Some(&server.token(1)),
        &[],
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("text/html"));
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    assert!(
        answer
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(
        answer.header("content-security-policy"),
        Some("default-src 'none'; sandbox")
    );
}

#[tokio::test]
async fn without_a_valid_token_it_is_401() {
    let server = start().await;
    let id = uploaded(&server, 1, "a.bin", b"\0", 10).await;
    let path = format!("/api/files/{id}");
    let none = get(server.addr, "GET", &path, None, &[]).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.error_code(), "AUTH_REQUIRED");
    let bad = get(server.addr, "GET", &path, Some("x.y.z"), &[]).await;
    assert_eq!(bad.status, 401);
    // Also for an id that does not exist: no token, no information.
    let unknown = get(server.addr, "GET", "/api/files/999999", None, &[]).await;
    assert_eq!(unknown.status, 401);
}

#[tokio::test]
async fn access_follows_the_rooms_that_carry_the_file() {
    let server = start().await;
    // User 1 (manager of project 1) uploads.
    let id = uploaded(&server, 1, "plan.pdf", b"%PDF-1.7\n", 2000).await;
    let path = format!("/api/files/{id}");
    // Not carried by any message yet: only the uploader.
    for user in [2, 3, 4, 5] {
        let answer = get(server.addr, "GET", &path, Some(&server.token(user)), &[]).await;
        assert_eq!(answer.status, 404, "user {user}");
        assert_eq!(answer.error_code(), "NOT_FOUND");
    }
    // Carried by a message in study 1: users with access to study 1 may read it
    // (1: manager of project 1; 3: researcher with a task in study 1).
    attach(&server, 1, RoomRef::study(1), id).await;
    for (user, status) in [(1, 200), (3, 200), (2, 404), (4, 404), (5, 404)] {
        let answer = get(server.addr, "GET", &path, Some(&server.token(user)), &[]).await;
        assert_eq!(answer.status, status, "user {user}");
    }
    // The same 404 as for an unknown or malformed id.
    let other = server.token(4);
    for bad in [
        "/api/files/999999",
        "/api/files/abc",
        "/api/files/012",
        "/api/files/",
    ] {
        let answer = get(server.addr, "GET", bad, Some(&other), &[]).await;
        assert_eq!(answer.status, 404, "{bad}");
        assert_eq!(answer.error_code(), "NOT_FOUND");
    }
}

#[tokio::test]
async fn ranges() {
    let server = start().await;
    let id = uploaded(&server, 1, "data.bin", b"\0", 1000).await;
    let path = format!("/api/files/{id}");
    let token = server.token(1);
    let all = contents(b"\0", 1000);

    let part = get(
        server.addr,
        "GET",
        &path,
        Some(&token),
        &[("Range", "bytes=10-19")],
    )
    .await;
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), Some("bytes 10-19/1000"));
    assert_eq!(part.body, all[10..20]);

    let tail = get(
        server.addr,
        "GET",
        &path,
        Some(&token),
        &[("Range", "bytes=-100")],
    )
    .await;
    assert_eq!(tail.status, 206);
    assert_eq!(tail.body, all[900..]);

    let open = get(
        server.addr,
        "GET",
        &path,
        Some(&token),
        &[("Range", "bytes=990-")],
    )
    .await;
    assert_eq!(open.status, 206);
    assert_eq!(open.body, all[990..]);

    let beyond = get(
        server.addr,
        "GET",
        &path,
        Some(&token),
        &[("Range", "bytes=1000-")],
    )
    .await;
    assert_eq!(beyond.status, 416);
    assert_eq!(beyond.header("content-range"), Some("bytes */1000"));

    // Several ranges: the whole file.
    let multi = get(
        server.addr,
        "GET",
        &path,
        Some(&token),
        &[("Range", "bytes=0-1,5-6")],
    )
    .await;
    assert_eq!(multi.status, 200);
    assert_eq!(multi.body, all);

    // If-Range with a stale validator: the whole file.
    let stale = get(
        server.addr,
        "GET",
        &path,
        Some(&token),
        &[("Range", "bytes=0-9"), ("If-Range", "\"stale\"")],
    )
    .await;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body.len(), 1000);
}

#[tokio::test]
async fn conditional_requests() {
    let server = start().await;
    let id = uploaded(&server, 1, "data.bin", b"\0", 100).await;
    let path = format!("/api/files/{id}");
    let token = server.token(1);
    let first = get(server.addr, "GET", &path, Some(&token), &[]).await;
    let etag = first.header("etag").unwrap().to_owned();
    let modified = first.header("last-modified").unwrap().to_owned();

    let same = get(
        server.addr,
        "GET",
        &path,
        Some(&token),
        &[("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(same.status, 304);
    assert!(same.body.is_empty());
    assert_eq!(same.header("etag"), Some(etag.as_str()));

    let since = get(
        server.addr,
        "GET",
        &path,
        Some(&token),
        &[("If-Modified-Since", &modified)],
    )
    .await;
    assert_eq!(since.status, 304);

    let changed = get(
        server.addr,
        "GET",
        &path,
        Some(&token),
        &[("If-None-Match", "\"other\"")],
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.body.len(), 100);

    let matching_range = get(
        server.addr,
        "GET",
        &path,
        Some(&token),
        &[("Range", "bytes=0-9"), ("If-Range", &etag)],
    )
    .await;
    assert_eq!(matching_range.status, 206);
}
