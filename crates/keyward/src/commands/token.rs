//! `keyward token`: signs an App Store Connect-style ES256 token from a `.p8`, reading the inputs
//! the ecosystem already uses (flags, fastlane API key JSON, `ASC_*` environment variables).

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use keyward_core::ids::{IssuerId, KeyId};
use keyward_token::PrivateKeyPem;
use keyward_token::sign::{TokenRequest, sign_token};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::cli::{CredentialArgs, TokenArgs};
use crate::error::CliError;

/// fastlane's `app_store_connect_api_key` JSON.
#[derive(Debug, Deserialize)]
struct FastlaneKey {
    key_id: Option<String>,
    issuer_id: Option<String>,
    key: Option<String>,
    duration: Option<i64>,
    #[serde(default)]
    is_key_content_base64: bool,
}

pub fn run(args: TokenArgs) -> Result<(), CliError> {
    let (key, request) = signing_inputs(&args.credentials)?;
    // ES256 signatures are randomized: every token of `--count` is new to the server's token cache,
    // as tokens are from clients that sign one per request.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for _ in 0..args.count {
        let token = sign_token(&key, &request).map_err(|e| CliError::Refused(format!("cannot sign the token: {e}")))?;
        writeln!(out, "{token}").map_err(|e| CliError::Usage(format!("cannot write the tokens: {e}")))?;
    }
    out.flush().map_err(|e| CliError::Usage(format!("cannot write the tokens: {e}")))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The Key ID in an `AuthKey_<KEYID>.p8` file name.
fn key_id_from_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    name.strip_prefix("AuthKey_")?.strip_suffix(".p8").map(str::to_owned)
}

fn read_key_file(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read the key file {}: {e}", path.display())))
}

/// Signs a token for the credentials.
pub fn make_token(c: &CredentialArgs) -> Result<String, CliError> {
    let (key, request) = signing_inputs(c)?;
    sign_token(&key, &request).map_err(|e| CliError::Refused(format!("cannot sign the token: {e}")))
}

/// The private key and claims the credentials describe.
fn signing_inputs(c: &CredentialArgs) -> Result<(PrivateKeyPem, TokenRequest), CliError> {
    let fastlane: Option<FastlaneKey> = match &c.api_key_json {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
            Some(
                serde_json::from_str(&text)
                    .map_err(|e| CliError::Usage(format!("{} is not an API key JSON file: {e}", path.display())))?,
            )
        }
        None => None,
    };
    let key_path: Option<PathBuf> =
        c.key_file.clone().or_else(|| env("ASC_KEY_PATH").or_else(|| env("ASC_PRIVATE_KEY_PATH")).map(PathBuf::from));
    let pem_text = match (&key_path, fastlane.as_ref().and_then(|f| f.key.clone()), env("ASC_PRIVATE_KEY")) {
        (Some(path), _, _) if c.key_file.is_some() => read_key_file(path)?,
        (_, Some(content), _) => match fastlane.as_ref().is_some_and(|f| f.is_key_content_base64) {
            true => base64::engine::general_purpose::STANDARD
                .decode(content.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| CliError::Usage("the API key JSON's key is not base64 of a PEM".into()))?,
            false => content,
        },
        (Some(path), None, _) => read_key_file(path)?,
        (None, None, Some(content)) => content.replace("\\n", "\n"),
        (None, None, None) => {
            return Err(CliError::Usage(
                "no private key: give --key-file AuthKey_<KEYID>.p8, --api-key-json FILE, or set ASC_KEY_PATH".into(),
            ));
        }
    };
    let key =
        PrivateKeyPem::from_pem(&pem_text).map_err(|e| CliError::Usage(format!("the private key is unusable: {e}")))?;
    let key_id = c
        .key_id
        .clone()
        .or_else(|| fastlane.as_ref().and_then(|f| f.key_id.clone()))
        .or_else(|| env("ASC_KEY_ID"))
        .or_else(|| key_path.as_deref().and_then(key_id_from_file_name))
        .ok_or_else(|| CliError::Usage("no Key ID: give --key-id, or a key file named AuthKey_<KEYID>.p8".into()))?;
    let key_id = KeyId::parse(&key_id).map_err(|_| CliError::Usage(format!("'{key_id}' is not a Key ID")))?;
    let issuer = if c.individual {
        None
    } else {
        let raw = c
            .issuer_id
            .clone()
            .or_else(|| fastlane.as_ref().and_then(|f| f.issuer_id.clone()))
            .or_else(|| env("ASC_ISSUER_ID"));
        match raw {
            Some(raw) => {
                Some(raw.parse::<IssuerId>().map_err(|_| CliError::Usage(format!("'{raw}' is not an Issuer ID")))?)
            }
            // fastlane's JSON without issuer_id describes an individual key.
            None if fastlane.is_some() => None,
            None => {
                return Err(CliError::Usage(
                    "give --issuer-id UUID for a team key, or --individual for an individual key".into(),
                ));
            }
        }
    };
    let lifetime = c.lifetime.or_else(|| fastlane.as_ref().and_then(|f| f.duration)).unwrap_or(1200);
    if lifetime <= 0 {
        return Err(CliError::Usage("the lifetime must be a positive number of seconds".into()));
    }
    let request = TokenRequest {
        key_id,
        issuer,
        audience: c.audience.clone(),
        issued_at: OffsetDateTime::now_utc().unix_timestamp(),
        lifetime_seconds: lifetime,
        scope: c.scope.clone(),
    };
    Ok((key, request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_comes_from_apples_file_name() {
        assert_eq!(key_id_from_file_name(Path::new("/x/AuthKey_ABCDE12345.p8")).as_deref(), Some("ABCDE12345"));
        assert_eq!(key_id_from_file_name(Path::new("/x/key.p8")), None);
    }
}
