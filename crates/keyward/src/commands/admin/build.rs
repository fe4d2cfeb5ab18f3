//! `keyward admin build add`: a build of an app, as if uploaded and processed (spec F2), for a
//! test suite that needs builds without uploading binaries. It goes under the app's pre-release
//! version of that version string and platform, made in the same transaction if there is none,
//! and reaches every node through the change feed like any write. A `VALID` build comes with its
//! beta detail, as a processed upload does; a `PROCESSING` one is made `VALID` by `serve` once its
//! processing time is over.

use keyward_core::ports::{AppStore, ResourceStore};
use keyward_core::resource::{AlsoWrite, Link, Resource, WriteRules};
use keyward_core::testflight;
use keyward_store::Store;
use serde_json::{Map, Value, json};

use super::resolve_team;
use crate::cli::BuildCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::output::Output;

const STATES: [&str; 4] = ["VALID", "PROCESSING", "FAILED", "INVALID"];
const PLATFORMS: [&str; 4] = ["IOS", "MAC_OS", "TV_OS", "VISION_OS"];

pub async fn run(store: &Store, command: BuildCommand, config: &Config, out: Output) -> Result<(), CliError> {
    let BuildCommand::Add(args) = command;
    let team = resolve_team(store, &args.team).await?;
    if !STATES.contains(&args.state.as_str()) {
        return Err(CliError::Usage(format!("--state is one of {}", STATES.join(", "))));
    }
    if !PLATFORMS.contains(&args.platform.as_str()) {
        return Err(CliError::Usage(format!("--platform is one of {}", PLATFORMS.join(", "))));
    }
    for (flag, value) in [("--version", &args.version), ("--build-number", &args.build_number)] {
        if value.is_empty() || value.len() > 64 || !value.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(CliError::Usage(format!("{flag} is digits and dots, like 1.2.0 or 42")));
        }
    }
    let apps = store.apps(team.id).await?;
    let app = apps
        .iter()
        .find(|a| a.bundle_id == args.app || a.id.to_string() == args.app)
        .ok_or_else(|| CliError::Refused(format!("the team has no app '{}' (bundle ID or numeric ID)", args.app)))?;
    let app_link = Link { kind: "apps".into(), id: app.id.to_string() };
    let existing = store.all_resources().await?.into_iter().find(|r| {
        r.team_id == team.id
            && r.kind == "preReleaseVersions"
            && r.link("app").contains(&app_link)
            && r.attributes.get("version").and_then(Value::as_str) == Some(args.version.as_str())
            && r.attributes.get("platform").and_then(Value::as_str) == Some(args.platform.as_str())
    });
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let stamp = now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let resource = |kind: &str, attributes: Map<String, Value>, links: Vec<(&str, Link)>| Resource {
        team_id: team.id,
        kind: kind.to_owned(),
        id: uuid::Uuid::new_v4().to_string(),
        app: None,
        attributes,
        relationships: links.into_iter().map(|(n, l)| (n.to_owned(), vec![l])).collect(),
        created_at: now,
        updated_at: now,
    };
    let mut attributes = Map::new();
    attributes.insert("version".into(), json!(args.build_number));
    attributes.insert("uploadedDate".into(), json!(stamp));
    let expires = (now + time::Duration::days(90)).format(&time::format_description::well_known::Rfc3339);
    attributes.insert("expirationDate".into(), json!(expires.unwrap_or_default()));
    attributes.insert("expired".into(), json!(false));
    attributes.insert("processingState".into(), json!(args.state));
    attributes.insert("buildAudienceType".into(), json!("APP_STORE_ELIGIBLE"));
    if args.state == "PROCESSING" {
        let seconds = args.processing_seconds.unwrap_or(config.build_processing_seconds);
        attributes.insert(testflight::PROCESSED_AT.into(), json!(now.unix_timestamp() + i64::from(seconds)));
    } else if args.processing_seconds.is_some() {
        return Err(CliError::Usage("--processing-seconds goes with --state PROCESSING".into()));
    }
    let build_of = |pre: &str| {
        let pre_link = Link { kind: "preReleaseVersions".into(), id: pre.to_owned() };
        resource("builds", attributes.clone(), vec![("app", app_link.clone()), ("preReleaseVersion", pre_link)])
    };
    // A processed build's beta detail is written with it.
    let detail_of = |build: &Resource| {
        let link = Link { kind: "builds".into(), id: build.id.clone() };
        let detail = resource("buildBetaDetails", testflight::new_detail(), vec![("build", link)]);
        (args.state == "VALID").then_some(AlsoWrite::Create(detail))
    };
    // A new pre-release version is written first and the build with it, in one transaction.
    let (pre_release, build) = match existing {
        Some(pre) => {
            let build = build_of(&pre.id);
            let rules = WriteRules { also: detail_of(&build).into_iter().collect(), ..WriteRules::default() };
            store.create_resource(build.clone(), rules).await?;
            (pre.id, build)
        }
        None => {
            let mut version = Map::new();
            version.insert("version".into(), json!(args.version));
            version.insert("platform".into(), json!(args.platform));
            let pre = resource("preReleaseVersions", version, vec![("app", app_link.clone())]);
            let build = build_of(&pre.id);
            let also = [Some(AlsoWrite::Create(build.clone())), detail_of(&build)].into_iter().flatten().collect();
            let rules = WriteRules { also, ..WriteRules::default() };
            let pre_id = pre.id.clone();
            store.create_resource(pre, rules).await?;
            (pre_id, build)
        }
    };
    let value = json!({
        "id": build.id,
        "app": app.id.to_string(),
        "version": args.version,
        "build_number": args.build_number,
        "platform": args.platform,
        "pre_release_version": pre_release,
        "processing_state": args.state,
    });
    out.one(&value, || {
        format!(
            "Added build {} ({}, {}) of {} under pre-release version {}.",
            args.build_number, build.id, args.state, app.bundle_id, pre_release
        )
    });
    Ok(())
}
