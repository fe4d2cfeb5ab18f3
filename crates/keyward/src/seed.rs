//! Reading a seed file (TOML or JSON) into what the store applies: the checked file and the public
//! key of every seeded key. Keys to generate get a key pair here; their `.p8` files are written
//! only after the seed was applied, and a key that already exists keeps its stored public key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use keyward_core::ids::KeyId;
use keyward_core::ports::KeyStore;
use keyward_core::seed::{SeedFile, validate};
use keyward_store::Store;
use keyward_token::PrivateKeyPem;

use crate::error::CliError;

/// A seed ready to apply (again: test mode's reset re-applies it).
#[derive(Debug, Clone)]
pub struct SeedSpec {
    pub file: SeedFile,
    pub public_keys: HashMap<String, Vec<u8>>,
}

/// The public half of an `AuthKey_<KEYID>.p8` that `generate_into` wrote on an earlier run.
fn existing_public_key(file: &Path) -> Result<Vec<u8>, CliError> {
    let refused = || {
        CliError::Refused(format!(
            "{} exists but is not a P-256 private key in PKCS#8 PEM; move it away to generate a new key",
            file.display()
        ))
    };
    let text = std::fs::read_to_string(file).map_err(|_| refused())?;
    let private = PrivateKeyPem::from_pem(&text).map_err(|_| refused())?;
    Ok(private.public_key().map_err(|_| refused())?.spki_der().to_vec())
}

/// Private keys generated for `generate_into`, to write once the seed is applied.
#[derive(Debug, Default)]
pub struct PendingFiles(Vec<(PathBuf, KeyId, PrivateKeyPem)>);

impl PendingFiles {
    pub fn write(self) -> Result<Vec<PathBuf>, CliError> {
        let mut written = Vec::new();
        for (dir, key_id, private) in self.0 {
            let reserved = crate::p8::reserve(&dir, &key_id)?;
            written.push(reserved.fill(&private)?);
        }
        Ok(written)
    }
}

fn parse(path: &Path, text: &str) -> Result<SeedFile, CliError> {
    let json = path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    let parsed = if json {
        serde_json::from_str::<SeedFile>(text).map_err(|e| e.to_string())
    } else {
        toml::from_str::<SeedFile>(text).map_err(|e| e.to_string().trim().replace('\n', " "))
    };
    parsed.map_err(|e| CliError::Refused(format!("{} is not a valid seed file: {e}", path.display())))
}

/// Every declared resource (spec R2) and piece of data (R7) against Apple's document, naming the
/// entry at fault.
fn check_resources(file: &SeedFile) -> Result<(), String> {
    let api = keyward_asc::Api::shared().map_err(str::to_owned)?;
    for (t, team) in file.teams.iter().enumerate() {
        for (r, resource) in team.resources.iter().enumerate() {
            let links: Vec<(&str, &str)> = resource
                .relationships
                .iter()
                .flat_map(|(rel, links)| links.links().iter().map(move |l| (rel.as_str(), l.kind.as_str())))
                .collect();
            api.check_seeded(&resource.kind, &resource.attributes, &links)
                .map_err(|(at, why)| format!("teams[{t}].resources[{r}].{at}: {why}"))?;
        }
        for (d, data) in team.data.iter().enumerate() {
            api.check_data(&data.path, data.json.as_ref(), data.text.as_deref())
                .map_err(|(at, why)| format!("teams[{t}].data[{d}].{at}: {why}"))?;
        }
    }
    Ok(())
}

pub async fn load(path: &Path, store: &Store, max_active_team_keys: u32) -> Result<(SeedSpec, PendingFiles), CliError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let file = parse(path, &text)?;
    validate(&file, max_active_team_keys)
        .map_err(|e| CliError::Refused(format!("{} is refused: {e}", path.display())))?;
    check_resources(&file).map_err(|e| CliError::Refused(format!("{} is refused: {e}", path.display())))?;
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    let mut public_keys = HashMap::new();
    let mut pending = PendingFiles::default();
    for (t, team) in file.teams.iter().enumerate() {
        for (k, key) in team.keys.iter().enumerate() {
            let at = format!("teams[{t}].keys[{k}]");
            let der = match (&key.public_key, &key.generate_into) {
                // Canonical, as an upload's (X2), so one pair has one encoding in storage.
                (Some(pem), _) => keyward_token::uploaded::p256_public_key_from_pem(pem)
                    .map_err(|e| {
                        CliError::Refused(format!(
                            "{} is refused: {at}.public_key: not a P-256 public key in PEM ({e})",
                            path.display()
                        ))
                    })?
                    .spki_der()
                    .to_vec(),
                (None, Some(dir)) => {
                    let key_id = KeyId::parse(&key.key_id)?;
                    match store.public_key(&key_id).await? {
                        Some(stored) => stored,
                        None => {
                            let existing = base.join(dir).join(key_id.file_name());
                            if existing.exists() {
                                // A fresh database, a file from an earlier run: the file's public half
                                // is used and the file is left as it is, so the seed is reproducible.
                                existing_public_key(&existing)?
                            } else {
                                let pair =
                                    keyward_token::keypair::generate().map_err(|e| CliError::Refused(e.to_string()))?;
                                let der = pair.public.spki_der().to_vec();
                                pending.0.push((base.join(dir), key_id, pair.private));
                                der
                            }
                        }
                    }
                }
                (None, None) => {
                    return Err(CliError::Refused(format!("{} is refused: {at}: no public key", path.display())));
                }
            };
            public_keys.insert(key.key_id.clone(), der);
        }
    }
    Ok((SeedSpec { file, public_keys }, pending))
}
