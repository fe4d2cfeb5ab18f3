//! `keyward serve --demo`: a ready-made team to point an App Store Connect client at. On an empty
//! database it creates the team (API access approved), its Account Holder (a generated password,
//! printed once), three apps, three members, a team key and an individual key whose `.p8` files go
//! to `<data dir>/demo/`, and under the first app the resources of `demo_resources.rs` (builds,
//! a beta group, a version, reviews, …); on later starts it finds the demo again and prints the
//! same lines.

use std::path::{Path, PathBuf};

use keyward_core::actor::{Actor, ActorContext};
use keyward_core::app::NewApp;
use keyward_core::ids::AppId;
use keyward_core::ports::{AppStore, MemberStore, NewKey, NewMember, NewPerson, NewTeam, TeamRef, TeamStore};
use keyward_core::role::{Role, RoleSet};
use keyward_server::lifecycle;
use keyward_store::Store;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::CliError;
use crate::p8;

pub const TEAM: &str = "Demo Team";
pub const HOLDER: &str = "holder@demo.keyward.test";

/// What the demo's clients need, kept in `<data dir>/demo/demo.json` (no secret inside).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Demo {
    pub issuer_id: String,
    pub team_key_id: String,
    pub team_key_file: PathBuf,
    pub individual_key_id: String,
    pub individual_key_file: PathBuf,
    pub api_key_json: PathBuf,
    /// Only on the start that created the demo.
    #[serde(skip)]
    pub password: Option<String>,
}

fn demo_dir(config: &Config) -> Result<PathBuf, CliError> {
    let dir = config.data_dir.join("demo");
    std::fs::create_dir_all(&dir).map_err(|e| CliError::Refused(format!("cannot create {}: {e}", dir.display())))?;
    std::fs::canonicalize(&dir).map_err(|e| CliError::Refused(format!("cannot resolve {}: {e}", dir.display())))
}

fn write_private(path: &Path, text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| CliError::Refused(format!("cannot write {}: {e}", path.display())))
}

/// Finds the demo, or creates it on an empty database.
pub async fn ensure(store: &Store, config: &Config) -> Result<Demo, CliError> {
    let dir = demo_dir(config)?;
    let record = dir.join("demo.json");
    if !store.is_empty().await? {
        let found = std::fs::read_to_string(&record).ok().and_then(|t| serde_json::from_str::<Demo>(&t).ok());
        return match found {
            Some(demo) if store.team(&TeamRef::Name(TEAM.into())).await.is_ok() => Ok(demo),
            _ => Err(CliError::Refused(format!(
                "--demo needs an empty database, or one that already holds the demo; {} holds other data",
                config.database_url()?.redacted()
            ))),
        };
    }
    let operator = ActorContext::operator_cli();
    let password = keyward_token::password::generate_password().map_err(|e| CliError::Refused(e.to_string()))?;
    let hash = keyward_token::password::hash_password(&password).map_err(|e| CliError::Refused(e.to_string()))?;
    let holder = NewPerson {
        email: HOLDER.into(),
        first_name: "Dana".into(),
        last_name: "Demo".into(),
        password_hash: Some(hash),
    };
    let created = store
        .create_team(NewTeam { name: TEAM.into(), account_holder: holder, holder_is_operator: true }, &operator)
        .await?;
    let team = created.team.id;
    let as_holder = ActorContext { actor: Actor::Member(created.member_id), label: HOLDER.into(), ip: None };
    store.request_access(team, &as_holder, true).await?;
    let mut apps: Vec<AppId> = Vec::new();
    for (name, bundle, sku) in [
        ("Demo Fizz", "com.example.demo.fizz", "DEMO_FIZZ"),
        ("Demo Buzz", "com.example.demo.buzz", "DEMO_BUZZ"),
        ("Demo Bell", "com.example.demo.bell", "DEMO_BELL"),
    ] {
        let app =
            NewApp { name: name.into(), bundle_id: bundle.into(), sku: sku.into(), primary_locale: "en-US".into() };
        apps.push(store.create_app(team, app, &operator).await?.id);
    }
    let member = |email: &str, first: &str, roles: &[Role], visible: Option<Vec<AppId>>| NewMember {
        person: NewPerson {
            email: email.into(),
            first_name: first.into(),
            last_name: "Demo".into(),
            password_hash: None,
        },
        roles: RoleSet::of(roles),
        individual_keys: true,
        all_apps_visible: visible.is_none(),
        visible_apps: visible.unwrap_or_default(),
        provisioning_allowed: false,
    };
    store.add_member(team, member("admin@demo.keyward.test", "Ada", &[Role::Admin], None), &operator).await?;
    let developer = store
        .add_member(
            team,
            member("developer@demo.keyward.test", "Dev", &[Role::Developer], Some(vec![apps[0]])),
            &operator,
        )
        .await?;
    store.add_member(team, member("marketing@demo.keyward.test", "Mia", &[Role::Marketing], None), &operator).await?;

    super::demo_resources::create(store, team, apps[0]).await?;
    let team_key = NewKey::Team { name: "Demo CI".into(), roles: RoleSet::of(&[Role::AppManager]) };
    let team_key = lifecycle::generate_key(store, team, team_key, config.max_active_team_keys, &operator).await?;
    let individual = lifecycle::generate_key(
        store,
        team,
        NewKey::Individual { member_id: developer.id },
        config.max_active_team_keys,
        &operator,
    )
    .await?;
    let mut files = Vec::new();
    let mut team_pem = String::new();
    for key in [&team_key, &individual] {
        let reserved = p8::reserve(&dir, &key.id)?;
        let (_, private) = lifecycle::download_key(store, team, &key.id, &operator).await?;
        if key.id == team_key.id {
            team_pem = private.expose().to_owned();
        }
        files.push(reserved.fill(&private)?);
    }
    let api_key_json = dir.join("api_key.json");
    let fastlane = serde_json::json!({
        "key_id": team_key.id.to_string(),
        "issuer_id": created.team.issuer_id.to_string(),
        "key": team_pem,
        "duration": 1200,
        "in_house": false,
    });
    write_private(&api_key_json, &fastlane.to_string())?;
    let demo = Demo {
        issuer_id: created.team.issuer_id.to_string(),
        team_key_id: team_key.id.to_string(),
        team_key_file: files[0].clone(),
        individual_key_id: individual.id.to_string(),
        individual_key_file: files[1].clone(),
        api_key_json,
        password: Some(password),
    };
    write_private(&record, &serde_json::to_string_pretty(&demo).unwrap_or_default())?;
    Ok(demo)
}

/// What `serve --demo` prints once it listens on `base`.
pub fn banner(demo: &Demo, base: &str) -> String {
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "keyward".into());
    let mut out = String::new();
    out.push_str(&format!("\nDemo team '{TEAM}' is ready (Issuer ID {}).\n", demo.issuer_id));
    match &demo.password {
        Some(p) => out.push_str(&format!("Console login: {HOLDER} / {p}   (shown only now)\n")),
        None => {
            out.push_str(&format!("Console login: {HOLDER} (its password was printed when the demo was created)\n"))
        }
    }
    out.push_str("\nEnvironment for App Store Connect clients (team key, APP_MANAGER):\n");
    out.push_str(&format!("export ASC_ISSUER_ID={}\n", demo.issuer_id));
    out.push_str(&format!("export ASC_KEY_ID={}\n", demo.team_key_id));
    out.push_str(&format!("export ASC_KEY_PATH={}\n", demo.team_key_file.display()));
    out.push_str(&format!("export ASC_PRIVATE_KEY_PATH={}\n", demo.team_key_file.display()));
    out.push_str(&format!("export ASC_BASE_URL={base}\n"));
    out.push_str(&format!("\nfastlane API key JSON: {}\n", demo.api_key_json.display()));
    out.push_str(&format!(
        "Individual key of developer@demo.keyward.test (sees one app): {} in {}\n",
        demo.individual_key_id,
        demo.individual_key_file.display()
    ));
    out.push_str("\nTry it:\n");
    out.push_str(&format!(
        "{exe} api --base-url {base} GET /v1/apps --key-file {} --issuer-id {}\n",
        demo.team_key_file.display(),
        demo.issuer_id
    ));
    out
}
