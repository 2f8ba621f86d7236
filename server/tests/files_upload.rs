//! `POST /api/files/upload` over real TCP with real multipart bodies (issue 5 items 1, 4
//! and 5): the 50 MiB boundary (accepted / refused while streaming), type sniffing against
//! names and forged headers, authentication, non-multipart bodies, aborted uploads.

mod files_support;

use files_support::*;
use huddle_server::files::config::DEFAULT_MAX_UPLOAD_BYTES;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn a_png_named_exe_is_stored_as_png() {
    let server = start().await;
    let token = server.token(1);
    let answer = upload(
        server.addr,
        Some(&token),
        "photo.exe",
        "application/x-msdownload",
        PNG_HEAD,
        4096,
    )
    .await;
    assert_eq!(
        answer.status,
        201,
        "{:?}",
        String::from_utf8_lossy(&answer.body)
    );
    let json = answer.json();
    assert_eq!(json["mimeType"], "image/png");
    assert_eq!(json["fileName"], "photo.exe");
    assert_eq!(json["fileSize"], 4096);
    let id = json["fileId"].as_u64().expect("fileId");
    let record = server.store.get_file(id).await.unwrap().expect("recorded");
    assert_eq!(record.uploader_id, 1);
    assert_eq!(record.mime_type, "image/png");
    assert!(!record.attached);
    // The bytes on disk are exactly what was sent, under the storage key.
    let on_disk = std::fs::read(server.files.dir().path().join(&record.storage_key)).unwrap();
    assert_eq!(on_disk, contents(PNG_HEAD, 4096));
}

#[tokio::test]
async fn text_named_png_with_a_forged_type_is_text() {
    let server = start().await;
    let token = server.token(1);
    let text = b"just some words, not an image\n";
    let answer = upload(
        server.addr,
        Some(&token),
        "picture.png",
        "image/png",
        text,
        text.len() as u64,
    )
    .await;
    assert_eq!(answer.status, 201);
    assert_eq!(answer.json()["mimeType"], "text/plain");
    assert_eq!(answer.json()["fileName"], "picture.png");
}

#[tokio::test]
async fn file_names_are_sanitised() {
    let server = start().await;
    let token = server.token(2);
    let answer = upload_bytes(server.addr, &token, "../../etc/passwd.txt", b"x").await;
    assert_eq!(answer.status, 201);
    assert_eq!(answer.json()["fileName"], "passwd.txt");
    let answer = upload_bytes(
        server.addr,
        &token,
        "..\\<img src=x onerror=alert(1)>cat.txt",
        b"x",
    )
    .await;
    assert_eq!(answer.status, 201);
    assert_eq!(answer.json()["fileName"], "cat.txt");
}

#[tokio::test]
async fn exactly_the_limit_is_accepted() {
    let server = start().await;
    let token = server.token(1);
    let answer = upload(
        server.addr,
        Some(&token),
        "big.bin",
        "application/octet-stream",
        b"\0",
        DEFAULT_MAX_UPLOAD_BYTES,
    )
    .await;
    assert_eq!(
        answer.status,
        201,
        "{:?}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.json()["fileSize"], 52_428_800);
    let id = answer.json()["fileId"].as_u64().unwrap();
    let record = server.store.get_file(id).await.unwrap().unwrap();
    let len = std::fs::metadata(server.files.dir().path().join(&record.storage_key))
        .unwrap()
        .len();
    assert_eq!(len, 52_428_800);
}

/// One byte over: the 413 arrives while the request is still incomplete (the closing
/// boundary is never sent), so the refusal happened while streaming; nothing is left.
#[tokio::test]
async fn one_byte_over_the_limit_is_refused_while_streaming() {
    let server = start().await;
    let token = server.token(1);
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let (before, after) = multipart_parts("big.bin", "application/octet-stream");
    let len = DEFAULT_MAX_UPLOAD_BYTES + 1;
    let total = before.len() as u64 + len + after.len() as u64;
    write_upload_head(&mut stream, Some(&token), &multipart_type(), total).await;
    stream.write_all(&before).await.unwrap();
    write_contents(&mut stream, b"\0", len).await.unwrap();
    // The request is not finished: `after` is still to come.
    let answer = read_answer(&mut stream, false).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.error_code(), "FILE_TOO_LARGE");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert!(
        eventually(|| async { server.stored_names().is_empty() }).await,
        "the partial file is removed: {:?}",
        server.stored_names()
    );
    assert_eq!(server.unattached_records().await, 0);
}

/// The limit is a setting: a small one refuses one byte over it, accepts it exactly.
#[tokio::test]
async fn the_limit_is_configurable() {
    let server = start_with(huddle_server::files::FilesConfig {
        max_upload_bytes: 1000,
        ..Default::default()
    })
    .await;
    let token = server.token(1);
    let ok = upload(server.addr, Some(&token), "a", "text/plain", b"a", 1000).await;
    assert_eq!(ok.status, 201);
    let refused = upload(server.addr, Some(&token), "a", "text/plain", b"a", 1001).await;
    assert_eq!(refused.status, 413);
    assert!(eventually(|| async { server.stored_names().len() == 1 }).await);
}

#[tokio::test]
async fn uploads_need_a_valid_token() {
    let server = start().await;
    let none = upload(server.addr, None, "a.txt", "text/plain", b"hi", 2).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.error_code(), "AUTH_REQUIRED");
    let forged = upload(server.addr, Some("a.b.c"), "a.txt", "text/plain", b"hi", 2).await;
    assert_eq!(forged.status, 401);
    assert_eq!(forged.error_code(), "AUTH_INVALID");
    let unknown_user = server.token(999);
    let unknown = upload(
        server.addr,
        Some(&unknown_user),
        "a.txt",
        "text/plain",
        b"hi",
        2,
    )
    .await;
    assert_eq!(unknown.status, 401);
    assert_eq!(unknown.error_code(), "USER_NOT_FOUND");
    assert!(server.stored_names().is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_multipart_is_415() {
    let server = start().await;
    let token = server.token(1);
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    write_upload_head(&mut stream, Some(&token), "application/octet-stream", 5).await;
    stream.write_all(b"hello").await.unwrap();
    let answer = read_answer(&mut stream, false).await;
    assert_eq!(answer.status, 415);
    assert_eq!(answer.error_code(), "UNSUPPORTED_MEDIA_TYPE");
}

#[tokio::test]
async fn malformed_or_fileless_forms_are_400() {
    let server = start().await;
    let token = server.token(1);
    // A form without a `file` field.
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--{BOUNDARY}--\r\n"
    );
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    write_upload_head(
        &mut stream,
        Some(&token),
        &multipart_type(),
        body.len() as u64,
    )
    .await;
    stream.write_all(body.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream, false).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_code(), "INVALID_UPLOAD");
    // A body that ends without its closing boundary.
    let (before, _) = multipart_parts("a.txt", "text/plain");
    let mut body = before;
    body.extend_from_slice(b"some text");
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    write_upload_head(
        &mut stream,
        Some(&token),
        &multipart_type(),
        body.len() as u64,
    )
    .await;
    stream.write_all(&body).await.unwrap();
    let answer = read_answer(&mut stream, false).await;
    assert_eq!(answer.status, 400);
    // multipart/form-data without a boundary.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    write_upload_head(&mut stream, Some(&token), "multipart/form-data", 0).await;
    let answer = read_answer(&mut stream, false).await;
    assert_eq!(answer.status, 400);
    assert!(server.stored_names().is_empty());
    assert_eq!(server.unattached_records().await, 0);
}

/// A client that disconnects half-way leaves neither bytes nor a record.
#[tokio::test]
async fn an_upload_aborted_half_way_leaves_nothing() {
    let server = start().await;
    let token = server.token(1);
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let (before, after) = multipart_parts("half.bin", "application/octet-stream");
    let len: u64 = 4 * 1024 * 1024;
    let total = before.len() as u64 + len + after.len() as u64;
    write_upload_head(&mut stream, Some(&token), &multipart_type(), total).await;
    stream.write_all(&before).await.unwrap();
    write_contents(&mut stream, b"\0", len / 2).await.unwrap();
    // The upload is in progress: its partial file exists.
    assert!(
        eventually(|| async { server.stored_names().iter().any(|n| n.ends_with(".part")) }).await,
        "a partial file while uploading"
    );
    drop(stream);
    assert!(
        eventually(|| async { server.stored_names().is_empty() }).await,
        "the partial file is removed: {:?}",
        server.stored_names()
    );
    assert_eq!(server.unattached_records().await, 0);
}
