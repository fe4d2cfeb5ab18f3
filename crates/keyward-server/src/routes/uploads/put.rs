//! `PUT /keyward/uploads/{file}/{secret}`: the bytes of a build upload file (spec F2). Nothing
//! is kept but their length and digests (MD5 and SHA-256, the algorithms Apple's checksums
//! name), which the client's `PATCH … uploaded: true` is checked against. A wrong secret and an
//! unknown file answer the same 403, so a URL cannot be used to probe for files; a body longer
//! than the declared `fileSize` is refused before more of it is read.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use keyward_core::change::Change;
use keyward_core::ports::ResourceStore;
use keyward_core::resource::ResourceUpdate;
use md5::Digest;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;

/// The internal attributes of a `buildUploadFiles` resource the upload writes and the `PATCH`
/// reads; no schema of Apple's has them, so they are never rendered.
pub(crate) const SECRET: &str = "_uploadSecret";
pub(crate) const RECEIVED: &str = "_receivedBytes";
pub(crate) const MD5: &str = "_md5";
pub(crate) const SHA256: &str = "_sha256";

fn refused() -> ApiError {
    ApiError::forbidden_because("the upload URL is not valid")
}

pub(crate) async fn handler(
    State(state): State<AppState>,
    Path((file, secret)): Path<(String, String)>,
    req: Request,
) -> Response {
    match receive(&state, &file, &secret, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// Keyward's IDs and secrets: letters, digits, `-` and `_`, not long. Anything else is refused
/// before the database is asked.
fn plausible(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn too_large(size: u64) -> ApiError {
    ApiError::custom(
        StatusCode::PAYLOAD_TOO_LARGE,
        "ENTITY_ERROR",
        "The upload is larger than the file",
        Some(format!("The file was declared {size} bytes; more were sent.")),
    )
}

async fn receive(state: &AppState, file: &str, secret: &str, req: Request) -> Result<Response, ApiError> {
    if !plausible(file) || !plausible(secret) {
        return Err(refused());
    }
    let found = state.store.resources(&[("buildUploadFiles".to_owned(), file.to_owned())]).await?;
    let Some(found) = found.into_iter().next() else { return Err(refused()) };
    let expected = found.attributes.get(SECRET).and_then(Value::as_str).unwrap_or_default();
    let same = aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), secret.as_bytes()).is_ok();
    if expected.is_empty() || !same {
        return Err(refused());
    }
    let awaiting = found.attributes.get("assetDeliveryState").and_then(|s| s.get("state")).and_then(Value::as_str)
        == Some("AWAITING_UPLOAD");
    if !awaiting {
        return Err(ApiError::state("The file has been uploaded already.".into()));
    }
    let expires = found.attributes.get("uploadOperations").and_then(|o| o.get(0)).and_then(|o| o.get("expiration"));
    let expired = expires
        .and_then(Value::as_str)
        .and_then(|at| time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok());
    if expired.is_some_and(|at| at < time::OffsetDateTime::now_utc()) {
        return Err(ApiError::forbidden_because("the upload URL has expired; create the file again"));
    }
    let size = found.attributes.get("fileSize").and_then(Value::as_u64).unwrap_or(0);
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > size) {
        return Err(too_large(size));
    }
    let (mut md5, mut sha256, mut received) =
        (md5::Md5::new(), aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256), 0u64);
    let mut body = req.into_body();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ApiError::entity("ENTITY_ERROR", "The upload was interrupted.".into(), "/"))?;
        let Ok(chunk) = frame.into_data() else { continue };
        received += chunk.len() as u64;
        if received > size {
            return Err(too_large(size));
        }
        md5.update(&chunk);
        sha256.update(&chunk);
    }
    let md5 = hex(&md5.finalize());
    let sha256 = hex(sha256.finish().as_ref());
    let mut update = ResourceUpdate::default();
    update.attributes.insert(RECEIVED.into(), json!(received));
    update.attributes.insert(MD5.into(), json!(md5));
    update.attributes.insert(SHA256.into(), json!(sha256));
    // Still awaiting when the digests are written: a PATCH that completed the file meanwhile wins.
    let awaiting = keyward_core::resource::Guard::Was {
        attribute: "assetDeliveryState".into(),
        values: vec![found.attributes.get("assetDeliveryState").cloned().unwrap_or(Value::Null)],
        detail: "The file has been marked uploaded meanwhile.".into(),
    };
    let rules = keyward_core::resource::WriteRules { guards: vec![awaiting], ..Default::default() };
    let (updated, _) = state.store.update_resource(found.team_id, &found.kind, &found.id, update, rules).await?;
    let change =
        Change::Resource { team_id: updated.team_id, resource_type: updated.kind.clone(), id: updated.id.clone() };
    state.written(&[change]).await;
    let mut response = StatusCode::OK.into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{md5}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
