//! `keyward admin key create | download | list | show | revoke | rotate | capability`.

use std::path::Path;

use keyward_core::actor::ActorContext;
use keyward_core::capability::Capability;
use keyward_core::error::DomainError;
use keyward_core::expiry;
use keyward_core::ids::{KeyId, TeamId};
use keyward_core::key::ApiKey;
use keyward_core::member::Member;
use keyward_core::ports::{AuthStore, KeyStore, KeyTerms, MemberStore, NewKey, TeamStore};
use keyward_core::role::RoleSet;
use keyward_core::team::Team;
use keyward_server::lifecycle;
use keyward_store::Store;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::resolve_team;
use crate::cli::KeyCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::output::{Output, opt_timestamp, text, timestamp};
use crate::p8;

pub async fn run(store: &Store, command: KeyCommand, config: &Config, out: Output) -> Result<(), CliError> {
    let operator = ActorContext::operator_cli();
    match command {
        KeyCommand::Create(args) => {
            let team = resolve_team(store, &args.team).await?;
            let new = match (args.individual, args.member, args.name, args.roles) {
                (true, Some(email), _, _) => {
                    NewKey::Individual { member_id: store.member_by_email(team.id, &email).await?.id }
                }
                (false, _, Some(name), Some(roles)) => NewKey::Team { name, roles: RoleSet::parse_list(&roles)? },
                _ => {
                    return Err(CliError::Usage(
                        "give --name and --roles for a team key, or --individual --member EMAIL".into(),
                    ));
                }
            };
            if let Some(dir) = &args.out {
                ensure_writable_dir(dir)?;
            }
            let terms = key_terms(args.public_key.as_deref(), args.expires.as_deref())?;
            let key = lifecycle::generate_key_with(store, team.id, new, terms, config.max_active_team_keys, &operator)
                .await?;
            let file = match &args.out {
                Some(dir) => Some(download(store, team.id, &key.id, dir, &operator).await?),
                None => None,
            };
            let value = created_json(&team, &key, file.as_deref());
            out.one(&value, || {
                format!(
                    "Generated {} key {} in team '{}' (Issuer ID {}).{}",
                    key.kind,
                    key.id,
                    team.name,
                    team.issuer_id,
                    next_step(&key, file.as_deref())
                )
            });
        }
        KeyCommand::Rotate(args) => {
            let team = resolve_team(store, &args.team).await?;
            let predecessor = parse_key_id(&args.key_id)?;
            let grace = match &args.grace {
                Some(span) => expiry::parse_span(span).map_err(|e| CliError::Usage(e.to_string()))?,
                None => time::Duration::ZERO,
            };
            if let Some(dir) = &args.out {
                ensure_writable_dir(dir)?;
            }
            let terms = key_terms(args.public_key.as_deref(), args.expires.as_deref())?;
            let rotated = lifecycle::rotate_key(
                store,
                team.id,
                &predecessor,
                grace,
                terms,
                config.max_active_team_keys,
                &operator,
            )
            .await?;
            let successor = &rotated.successor;
            let file = match &args.out {
                Some(dir) => Some(download(store, team.id, &successor.id, dir, &operator).await?),
                None => None,
            };
            let mut value = created_json(&team, successor, file.as_deref());
            value["replaces"] = json!(predecessor.to_string());
            value["predecessor_state"] = json!(rotated.predecessor.state(OffsetDateTime::now_utc()).as_str());
            value["predecessor_revoked_at"] =
                json!(opt_timestamp(rotated.predecessor.revoked_at.or(rotated.predecessor.revoke_at)));
            out.one(&value, || {
                let when = match rotated.predecessor.revoke_at {
                    Some(at) => format!("keeps working until {} and is then revoked", timestamp(at)),
                    None => "is revoked".to_owned(),
                };
                format!(
                    "Rotated {predecessor} to {} ('{}'). {predecessor} {when}.{}",
                    successor.id,
                    successor.name,
                    next_step(successor, file.as_deref())
                )
            });
        }
        KeyCommand::Capability(args) => {
            let team = resolve_team(store, &args.team).await?;
            let key_id = parse_key_id(&args.key_id)?;
            let (name, grant) = match (&args.grant, &args.withdraw) {
                (Some(c), _) => (c, true),
                (None, Some(c)) => (c, false),
                (None, None) => return Err(CliError::Usage("give --grant or --withdraw".into())),
            };
            let capability: Capability = name.parse().map_err(|e: DomainError| CliError::Usage(e.to_string()))?;
            let key = store.set_key_capability(team.id, &key_id, capability, grant, &operator).await?;
            let value = key_json(&team, &store.members(team.id).await?, &key);
            out.one(&value, || {
                let done = if grant { "now holds" } else { "no longer holds" };
                let hint = if grant {
                    format!(
                        "\nIts tokens for the audience 'keyward-v1' may call /keyward/v1/apiKeys (list, create, rotate, revoke keys of {}).",
                        team.name
                    )
                } else {
                    String::new()
                };
                format!("{} ('{}') {done} {capability}.{hint}", key.id, key.name)
            });
        }
        KeyCommand::Download(args) => {
            let key_id = parse_key_id(&args.key_id)?;
            let key = store.key(&key_id).await?;
            ensure_writable_dir(&args.out)?;
            let file = download(store, key.team_id, &key.id, &args.out, &operator).await?;
            out.one(&json!({"key_id": key.id.to_string(), "file": file}), || {
                format!("Private key written to {file}. It cannot be downloaded again: keep it safe.")
            });
        }
        KeyCommand::List(args) => {
            let team = resolve_team(store, &args.team).await?;
            let now = OffsetDateTime::now_utc();
            let mut keys = store.keys(team.id, now, config.revoked_retention_days).await?;
            if let Some(span) = &args.unused {
                let span = expiry::parse_span(span).map_err(|e| CliError::Usage(e.to_string()))?;
                keys.retain(|k| expiry::is_unused(k, now, span));
            }
            let members = store.members(team.id).await?;
            let values: Vec<_> = keys.iter().map(|k| key_json(&team, &members, k)).collect();
            out.list(
                &values,
                &["STATE", "NAME", "KEY ID", "KIND", "ACCESS", "CREATED", "LAST USED", "EXPIRES", "REVOKED"],
                |v| {
                    vec![
                        text(&v["state"]),
                        text(&v["name"]),
                        text(&v["key_id"]),
                        text(&v["kind"]),
                        match v["member"].as_str() {
                            Some(email) => email.to_owned(),
                            None => text(&v["roles"]),
                        },
                        text(&v["created_at"]),
                        text(&v["last_used_at"]),
                        text(&v["expires_at"]),
                        match v["revoked_at"].as_str() {
                            Some(_) => text(&v["revoked_at"]),
                            None => text(&v["revoke_at"]),
                        },
                    ]
                },
            );
        }
        KeyCommand::Show(args) => {
            let key_id = parse_key_id(&args.key_id)?;
            let key = store.key(&key_id).await?;
            let team = store.team_by_id(key.team_id).await?;
            let mut value = key_json(&team, &store.members(team.id).await?, &key);
            // T14: the recent authentication failures, newest first.
            let failures: Vec<Value> = store
                .auth_failures(&key.id)
                .await?
                .iter()
                .map(|f| json!({"at": timestamp(f.at), "rule": f.rule, "reason": f.reason, "client_ip": f.client_ip}))
                .collect();
            value["recent_auth_failures"] = Value::Array(failures);
            out.one(&value, || {
                let fields = [
                    "key_id",
                    "name",
                    "kind",
                    "state",
                    "team",
                    "issuer_id",
                    "roles",
                    "member",
                    "created_at",
                    "created_by",
                    "downloaded",
                    "downloaded_at",
                    "uploaded",
                    "capabilities",
                    "last_used_at",
                    "expires_at",
                    "replaces",
                    "revoke_at",
                    "revoked_at",
                    "revoked_by",
                ];
                let mut lines: Vec<String> = fields.iter().map(|f| format!("{f:<14} {}", text(&value[*f]))).collect();
                let failures = value["recent_auth_failures"].as_array().cloned().unwrap_or_default();
                lines
                    .push(format!("recent authentication failures: {}", if failures.is_empty() { "none" } else { "" }));
                for f in failures {
                    lines.push(format!(
                        "  {}  {}  {}  from {}",
                        text(&f["at"]),
                        text(&f["rule"]),
                        text(&f["reason"]),
                        text(&f["client_ip"])
                    ));
                }
                lines.join("\n")
            });
        }
        KeyCommand::Revoke(args) => {
            let team = resolve_team(store, &args.team).await?;
            let ids = args.key_ids.iter().map(|k| parse_key_id(k)).collect::<Result<Vec<_>, _>>()?;
            let revoked = store.revoke_keys(team.id, &ids, &operator).await?;
            let values: Vec<_> = revoked
                .iter()
                .map(|k| json!({"key_id": k.id.to_string(), "state": "revoked", "revoked_at": opt_timestamp(k.revoked_at)}))
                .collect();
            if out.json {
                out.list(&values, &[], |_| vec![]);
            } else {
                for k in &revoked {
                    println!("Revoked {} ('{}'). Tokens signed with it are refused from now on.", k.id, k.name);
                }
            }
        }
    }
    Ok(())
}

fn parse_key_id(s: &str) -> Result<KeyId, CliError> {
    KeyId::parse(s).map_err(|_| CliError::Usage(format!("'{s}' is not a Key ID (10 characters, A-Z and 0-9)")))
}

fn ensure_writable_dir(dir: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::Refused(format!("cannot create {}: {e}", dir.display())))
}

/// K9: the single download into `dir`: reserve the file, make the key pair and record the public
/// half, then write the private half. A refused download leaves no file behind.
async fn download(
    store: &Store,
    team: TeamId,
    key_id: &KeyId,
    dir: &Path,
    actor: &ActorContext,
) -> Result<String, CliError> {
    // Refuse a second download for what it is, before touching the file system.
    keyward_core::key::may_download(&store.key(key_id).await?, &actor.actor, OffsetDateTime::now_utc())
        .map_err(|e| CliError::Refused(e.to_string()))?;
    let reserved = p8::reserve(dir, key_id)?;
    let (_key, private) = lifecycle::download_key(store, team, key_id, actor).await?;
    let path = reserved.fill(&private)?;
    Ok(path.display().to_string())
}

fn key_json(team: &Team, members: &[Member], k: &ApiKey) -> Value {
    let member = k.member_id.and_then(|m| members.iter().find(|x| x.id == m)).map(|x| x.email.clone());
    json!({
        "key_id": k.id.to_string(),
        "name": k.name,
        "kind": k.kind.as_str(),
        "state": k.state(OffsetDateTime::now_utc()).as_str(),
        "team": team.name,
        "issuer_id": team.issuer_id.to_string(),
        "roles": k.roles.to_vec(),
        "member": member,
        "created_at": timestamp(k.created_at),
        "created_by": k.created_by_label,
        "downloaded": k.downloaded_at.is_some(),
        "downloaded_at": opt_timestamp(k.downloaded_at),
        "last_used_at": opt_timestamp(k.last_used_at),
        "revoked_at": opt_timestamp(k.revoked_at),
        "revoked_by": k.revoked_by_label,
        "expires_at": opt_timestamp(k.expires_at),
        "revoke_at": opt_timestamp(k.revoke_at),
        "replaces": k.replaces.as_ref().map(ToString::to_string),
        "uploaded": k.uploaded,
        "capabilities": if k.key_manager { vec![Capability::KeyManager.as_str()] } else { Vec::new() },
    })
}

/// What `create` and `rotate` print as JSON about the new key.
fn created_json(team: &Team, key: &ApiKey, file: Option<&str>) -> Value {
    let mut value = json!({
        "key_id": key.id.to_string(),
        "issuer_id": team.issuer_id.to_string(),
        "kind": key.kind.as_str(),
        "expires_at": opt_timestamp(key.expires_at),
        "uploaded": key.uploaded,
    });
    if let Some(file) = file {
        value["file"] = json!(file);
    }
    value
}

/// The line after "Generated …": where the private key is, or how to get it.
fn next_step(key: &ApiKey, file: Option<&str>) -> String {
    let expiry = key.expires_at.map(|at| format!("\nIt expires at {}.", timestamp(at))).unwrap_or_default();
    let step = match file {
        _ if key.uploaded => {
            "\nMade from your public key: sign tokens with your private key; there is nothing to download.".to_owned()
        }
        Some(f) => format!("\nPrivate key written to {f}. It cannot be downloaded again: keep it safe."),
        None => format!("\nDownload it once with `keyward admin key download {} --out DIR`.", key.id),
    };
    step + &expiry
}

/// X2, X3: an uploaded public key read from FILE, and an expiry as given.
fn key_terms(public_key: Option<&Path>, expires: Option<&str>) -> Result<KeyTerms, CliError> {
    let public_key = match public_key {
        Some(file) => Some(read_public_key(file)?),
        None => None,
    };
    let expires_at = match expires {
        Some(when) => {
            Some(expiry::parse_expiry(when, OffsetDateTime::now_utc()).map_err(|e| CliError::Usage(e.to_string()))?)
        }
        None => None,
    };
    Ok(KeyTerms { public_key, expires_at, ..KeyTerms::default() })
}

/// X2: the P-256 public key in FILE, as canonical SubjectPublicKeyInfo DER. Reads at most a few
/// kilobytes: a public key's PEM is about 180 bytes.
fn read_public_key(file: &Path) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(keyward_token::uploaded::MAX_PEM_BYTES as u64 + 1).read_to_string(&mut text))
        .map_err(|e| CliError::Refused(format!("cannot read {}: {e}", file.display())))?;
    lifecycle::uploaded_public_key(&text).map_err(|e| CliError::Refused(format!("{}: {e}", file.display())))
}
