//! Apple's REST build upload (spec F2): `buildUploads` for a version and build number of an app,
//! `buildUploadFiles` answering `uploadOperations` (a `PUT` to a URL Keyward serves itself,
//! `routes/uploads/`), then `PATCH … uploaded: true` with the file's checksum. When the app's
//! binary (`assetType: ASSET`) is complete, the build appears, `PROCESSING`, under a pre-release
//! version of the app, and becomes `VALID` after the installation's processing delay
//! (`build_processing_seconds`; at once in test mode), with the upload `COMPLETE`. A checksum that
//! does not match the bytes received, or bytes missing, is Apple's 409 and changes nothing.

use base64::Engine;
use keyward_core::ports::ResourceStore;
use keyward_core::resource::{AlsoWrite, Guard, Link, LinkChange, Resource, ResourceUpdate, WriteRules};
use serde_json::{Map, Value, json};

use super::{Call, invalid, linked, text};
use crate::error::ApiError;
use crate::routes::uploads::{PREFIX, put};

/// The largest file Keyward takes (it keeps only digests, so this bounds time, not storage).
const MAX_FILE: u64 = 8 << 30;

pub(crate) use keyward_core::testflight::PROCESSED_AT;

fn state(value: &str) -> Value {
    json!({ "state": value, "errors": [], "warnings": [], "infos": [] })
}

pub(super) fn before_create_upload(attributes: &mut Map<String, Value>) -> WriteRules {
    attributes.insert("state".into(), state("AWAITING_UPLOAD"));
    attributes.insert("uploadedDate".into(), Value::Null);
    WriteRules::default()
}

pub(super) fn before_create_file(
    call: &Call<'_>,
    id: &str,
    attributes: &mut Map<String, Value>,
    links: &[(String, Vec<Link>)],
) -> Result<WriteRules, ApiError> {
    let upload = linked(links, "buildUpload")
        .and_then(|l| call.state.replica.resources().get(call.key.team_id, "buildUploads", &l.id))
        .ok_or_else(|| {
            ApiError::entity(
                "ENTITY_ERROR.RELATIONSHIP.INVALID",
                "A file belongs to a build upload.".into(),
                "/data/relationships/buildUpload",
            )
        })?;
    if upload.attributes.get("state").and_then(|s| s.get("state")).and_then(Value::as_str) != Some("AWAITING_UPLOAD") {
        return Err(ApiError::state(format!("The build upload '{}' takes no more files.", upload.id)));
    }
    let size = attributes.get("fileSize").and_then(Value::as_u64).unwrap_or(0);
    if size == 0 || size > MAX_FILE {
        return Err(invalid("fileSize", format!("A file is between 1 byte and {MAX_FILE} bytes.")));
    }
    let mut secret = [0u8; 32];
    aws_lc_rs::rand::fill(&mut secret).map_err(|_| ApiError::internal())?;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    let (_, expires) = super::dates(1);
    let url = call.base.url(&format!("{PREFIX}/{id}/{secret}"));
    attributes.insert(put::SECRET.into(), json!(secret));
    attributes.insert("assetDeliveryState".into(), json!({ "state": "AWAITING_UPLOAD", "errors": [], "warnings": [] }));
    attributes.insert(
        "uploadOperations".into(),
        json!([{
            "method": "PUT",
            "url": url,
            "length": size,
            "offset": 0,
            "partNumber": 1,
            "expiration": expires,
            "requestHeaders": [{ "name": "Content-Type", "value": "application/octet-stream" }],
        }]),
    );
    attributes.insert("sourceFileChecksums".into(), Value::Null);
    Ok(WriteRules::default())
}

/// `PATCH /v1/buildUploadFiles/{id}`: with `uploaded: true`, the bytes must all be there and the
/// checksum must be theirs; then the file is `COMPLETE`, and for the app's binary the build is
/// made, all in the PATCH's transaction.
pub(super) async fn before_update_file(
    call: &Call<'_>,
    id: &str,
    update: &mut ResourceUpdate,
) -> Result<WriteRules, ApiError> {
    let uploaded = update.attributes.remove("uploaded").and_then(|v| v.as_bool()) == Some(true);
    if !uploaded {
        return Ok(WriteRules::default());
    }
    // The bytes may have reached another node: read the file as the database has it.
    let files = call.state.store.resources(&[("buildUploadFiles".to_owned(), id.to_owned())]).await?;
    let file = files
        .into_iter()
        .find(|f| f.team_id == call.key.team_id)
        .ok_or_else(|| ApiError::not_found("buildUploadFiles", id))?;
    if file.attributes.get("assetDeliveryState").and_then(|s| s.get("state")).and_then(Value::as_str)
        != Some("AWAITING_UPLOAD")
    {
        return Err(ApiError::state("The file has been marked uploaded already.".into()));
    }
    let size = file.attributes.get("fileSize").and_then(Value::as_u64).unwrap_or(0);
    let received = file.attributes.get(put::RECEIVED).and_then(Value::as_u64).unwrap_or(0);
    if received != size {
        return Err(ApiError::state(format!(
            "The file's bytes have not all been uploaded: {received} of {size} received."
        )));
    }
    let checksums = update.attributes.get("sourceFileChecksums").or_else(|| file.attributes.get("sourceFileChecksums"));
    let given = checksums.and_then(|c| c.pointer("/file/hash")).and_then(Value::as_str).unwrap_or_default();
    let algorithm = checksums.and_then(|c| c.pointer("/file/algorithm")).and_then(Value::as_str).unwrap_or("MD5");
    let ours = match algorithm {
        "SHA_256" => file.attributes.get(put::SHA256),
        _ => file.attributes.get(put::MD5),
    };
    let pointer = "/data/attributes/sourceFileChecksums";
    if given.is_empty() {
        let detail = "An uploaded file needs its checksum (sourceFileChecksums.file).".into();
        return Err(ApiError::entity("ENTITY_ERROR.ATTRIBUTE.REQUIRED", detail, pointer));
    }
    if !ours.and_then(Value::as_str).is_some_and(|o| o.eq_ignore_ascii_case(given)) {
        let detail = format!("The {algorithm} checksum '{given}' does not match the bytes uploaded.");
        return Err(ApiError::entity("ENTITY_ERROR.ATTRIBUTE.INVALID", detail, pointer));
    }
    update.attributes.insert("assetDeliveryState".into(), json!({ "state": "COMPLETE", "errors": [], "warnings": [] }));
    // Checked again in the transaction: still awaiting, and the bytes still those checked (a PUT
    // or a second PATCH racing this one finds the file changed and is refused).
    let mut rules = WriteRules::default();
    for attribute in ["assetDeliveryState", put::MD5, put::SHA256, put::RECEIVED] {
        rules.guards.push(Guard::Was {
            attribute: attribute.into(),
            values: vec![file.attributes.get(attribute).cloned().unwrap_or(Value::Null)],
            detail: "The file changed meanwhile; upload it again or read it again.".into(),
        });
    }
    let is_binary = file.attributes.get("assetType").and_then(Value::as_str) == Some("ASSET");
    let upload_link = file.link("buildUpload").first().cloned();
    let upload = upload_link.and_then(|l| call.state.replica.resources().get(call.key.team_id, "buildUploads", &l.id));
    if let (true, Some(upload)) = (is_binary, upload) {
        if upload.attributes.get("state").and_then(|s| s.get("state")).and_then(Value::as_str)
            != Some("AWAITING_UPLOAD")
        {
            return Err(ApiError::state(format!("The build upload '{}' has its build already.", upload.id)));
        }
        rules.also = build_of(call, &upload, &file)?;
    }
    Ok(rules)
}

/// The writes that make the uploaded build: its pre-release version if the app has none of that
/// version and platform, the build, and the upload's state and links.
fn build_of(call: &Call<'_>, upload: &Resource, file: &Resource) -> Result<Vec<AlsoWrite>, ApiError> {
    let team = call.key.team_id;
    let app = upload.link("app").first().cloned().ok_or_else(ApiError::internal)?;
    let version = text(&upload.attributes, "cfBundleShortVersionString").to_owned();
    let number = text(&upload.attributes, "cfBundleVersion").to_owned();
    let platform = text(&upload.attributes, "platform").to_owned();
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let stamp = crate::views::timestamp(now);
    let mut writes = Vec::new();
    let index = call.state.replica.resources();
    let existing = index.referring(team, &app.kind, &app.id, "preReleaseVersions").into_iter().find(|p| {
        p.attributes.get("version").and_then(Value::as_str) == Some(version.as_str())
            && p.attributes.get("platform").and_then(Value::as_str) == Some(platform.as_str())
    });
    let pre_release = match existing {
        Some(p) => Link { kind: "preReleaseVersions".into(), id: p.id.clone() },
        None => {
            // Derived from what makes it unique, so two uploads of one new version racing on two
            // nodes share one pre-release version (the second finds it in its transaction).
            let key = format!("{team}/{}/{version}/{platform}", app.id);
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.as_bytes());
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest.as_ref()[..16]);
            let id = uuid::Builder::from_custom_bytes(bytes).into_uuid().to_string();
            let mut attributes = Map::new();
            attributes.insert("version".into(), json!(version));
            attributes.insert("platform".into(), json!(platform));
            writes.push(AlsoWrite::Ensure(Resource {
                team_id: team,
                kind: "preReleaseVersions".into(),
                id: id.clone(),
                app: None,
                attributes,
                relationships: [("app".to_owned(), vec![app.clone()])].into_iter().collect(),
                created_at: now,
                updated_at: now,
            }));
            Link { kind: "preReleaseVersions".into(), id }
        }
    };
    drop(index);
    let delay =
        if call.state.test_mode.is_some() { 0 } else { i64::from(call.state.settings.build_processing_seconds) };
    let processed = delay == 0;
    let build_id = super::super::new_id("builds");
    let mut attributes = Map::new();
    attributes.insert("version".into(), json!(number));
    attributes.insert("uploadedDate".into(), json!(stamp));
    attributes.insert("expirationDate".into(), json!(crate::views::timestamp(now + time::Duration::days(90))));
    attributes.insert("expired".into(), json!(false));
    attributes.insert("processingState".into(), json!(if processed { "VALID" } else { "PROCESSING" }));
    attributes.insert("buildAudienceType".into(), json!("APP_STORE_ELIGIBLE"));
    attributes.insert(PROCESSED_AT.into(), json!((now + time::Duration::seconds(delay)).unix_timestamp()));
    let detail = processed.then(|| super::testflight::detail_of(team, &build_id, now));
    writes.push(AlsoWrite::Create(Resource {
        team_id: team,
        kind: "builds".into(),
        id: build_id.clone(),
        app: None,
        attributes,
        relationships: [("app".to_owned(), vec![app]), ("preReleaseVersion".to_owned(), vec![pre_release])]
            .into_iter()
            .collect(),
        created_at: now,
        updated_at: now,
    }));
    writes.extend(detail);
    let mut update = ResourceUpdate::default();
    update.attributes.insert("state".into(), state(if processed { "COMPLETE" } else { "PROCESSING" }));
    update.attributes.insert("uploadedDate".into(), json!(stamp));
    update
        .relationships
        .insert("build".into(), LinkChange::Replace(vec![Link { kind: "builds".into(), id: build_id }]));
    update.relationships.insert(
        "assetFile".into(),
        LinkChange::Replace(vec![Link { kind: "buildUploadFiles".into(), id: file.id.clone() }]),
    );
    // One build per upload, even when two binaries complete at once.
    let guards = vec![Guard::Was {
        attribute: "state".into(),
        values: vec![upload.attributes.get("state").cloned().unwrap_or(Value::Null)],
        detail: "The build upload has its build already.".into(),
    }];
    writes.push(AlsoWrite::Update { kind: "buildUploads".into(), id: upload.id.clone(), update, guards });
    let new_state = if processed { "COMPLETE" } else { "PROCESSING" };
    let attributes = json!({ "oldState": "AWAITING_UPLOAD", "newState": new_state, "timestamp": stamp });
    let base = super::webhooks::base_of(call);
    let app_link = upload.link("app").first().cloned();
    writes.extend(super::webhooks::events(
        &base,
        app_link.as_ref(),
        "BUILD_UPLOAD_STATE_UPDATED",
        attributes,
        ("buildUploads", &upload.id),
    ));
    Ok(writes)
}

/// Builds whose processing time has come become `VALID`, and their uploads `COMPLETE`. Run by
/// every node's background loop; the write is guarded on `PROCESSING`, so a build another node
/// finished meanwhile is left alone.
pub(crate) async fn finish_processing(app: &crate::AppState) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let due: Vec<Resource> = app
        .replica
        .resources()
        .of_kind_everywhere("builds")
        .into_iter()
        .filter(|r| r.attributes.get("processingState").and_then(Value::as_str) == Some("PROCESSING"))
        .filter(|r| r.attributes.get(PROCESSED_AT).and_then(Value::as_i64).is_some_and(|at| at <= now))
        .map(|r| (*r).clone())
        .collect();
    for build in due {
        let uploads: Vec<String> = {
            let index = app.replica.resources();
            index.referring(build.team_id, "builds", &build.id, "buildUploads").iter().map(|u| u.id.clone()).collect()
        };
        let mut rules = WriteRules::default();
        rules.guards.push(Guard::Was {
            attribute: "processingState".into(),
            values: vec![json!("PROCESSING")],
            detail: "processed by another node".into(),
        });
        let base = super::webhooks::background_base(app);
        let stamp = crate::views::timestamp(time::OffsetDateTime::now_utc());
        for upload in uploads {
            let mut update = ResourceUpdate::default();
            update.attributes.insert("state".into(), state("COMPLETE"));
            let attributes = json!({ "oldState": "PROCESSING", "newState": "COMPLETE", "timestamp": stamp });
            let app_link = build.link("app").first().cloned();
            rules.also.extend(super::webhooks::events(
                &base,
                app_link.as_ref(),
                "BUILD_UPLOAD_STATE_UPDATED",
                attributes,
                ("buildUploads", &upload),
            ));
            rules.also.push(AlsoWrite::Update { kind: "buildUploads".into(), id: upload, update, guards: vec![] });
        }
        rules.also.push(super::testflight::detail_of(build.team_id, &build.id, time::OffsetDateTime::now_utc()));
        let mut update = ResourceUpdate::default();
        update.attributes.insert("processingState".into(), json!("VALID"));
        match super::update_here(app, &build, update, rules).await {
            Ok(Some(_)) => {}
            Ok(None) => tracing::debug!(build = %build.id, "a processed build was finished elsewhere or is gone"),
            Err(e) => tracing::warn!(build = %build.id, error = %e, "a processed build could not be marked VALID"),
        }
    }
}
