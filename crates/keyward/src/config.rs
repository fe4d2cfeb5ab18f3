//! Configuration: defaults → `keyward.toml` (or `--config FILE`) → `KEYWARD_*` environment →
//! flags. Unknown keys are an error naming them, so a typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use keyward_core::settings::Settings;
use keyward_server::mail::MailSettings;
use keyward_store::DatabaseUrl;
use serde::{Deserialize, Serialize};

use crate::error::CliError;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the SQLite database (and later TLS and demo files) live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; overrides `data_dir` for the database.
    pub database_url: Option<String>,
    /// Address `keyward serve` listens on.
    pub listen: String,
    /// Base URL clients reach this server at (links in responses).
    pub public_url: Option<String>,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// Log filter, e.g. `info` or `warn,keyward_server=debug` (default: `info` for `serve`,
    /// `warn` for one-shot commands). Also `KEYWARD_LOG`.
    pub log: Option<String>,
    pub auto_approve_api_access: bool,
    pub max_active_team_keys: u32,
    pub revoked_retention_days: u32,
    pub token_audience: String,
    pub clock_skew_seconds: u32,
    pub explain_auth_errors: bool,
    pub rate_limit_per_hour: u32,
    /// M3: seconds of tokens accepted without a successful change-feed read, then 503.
    pub max_feed_staleness: u32,
    /// F2: seconds an uploaded build stays `PROCESSING` before it is `VALID` (0 in test mode).
    pub build_processing_seconds: u32,
    /// F5: let webhooks reach private and loopback addresses (local use).
    pub webhook_allow_private: bool,
    /// Proxies whose `X-Forwarded-For` names the client (addresses or blocks such as
    /// `10.0.0.0/8`), as a list or a comma-separated string (`KEYWARD_TRUSTED_PROXIES`).
    #[serde(deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
    /// Spec section 10: a gateway policy file; forward auth at `/_keyward/authz`, and with an
    /// upstream the reverse proxy.
    pub policy: Option<PathBuf>,
    /// The upstream the policy's routes are proxied to; overrides the policy file's `upstream`.
    pub upstream: Option<String>,
    /// A PEM bundle of the certificate authorities an https upstream's certificate must chain to
    /// (a private CA); without it, the public web's roots.
    pub upstream_ca_file: Option<PathBuf>,
    /// Each key's requests in flight to the upstream, at most, per node (429 beyond); 0: no cap.
    pub upstream_max_in_flight_per_key: u32,
    /// Seconds the gateway waits for the upstream's response headers, then answers 504.
    pub upstream_timeout_seconds: u32,
    /// `[mail]`: invitation and activation mail (`KEYWARD_MAIL_SMTP_URL`, `KEYWARD_MAIL_FROM`,
    /// `KEYWARD_MAIL_PASSWORD`).
    pub mail: MailSettings,
}

fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(l) => l,
        Either::Text(t) => t.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    })
}

impl Default for Config {
    fn default() -> Self {
        let s = Settings::default();
        Config {
            data_dir: PathBuf::from("./keyward-data"),
            database_url: None,
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            log_format: "text".into(),
            log: None,
            auto_approve_api_access: s.auto_approve_api_access,
            max_active_team_keys: s.max_active_team_keys,
            revoked_retention_days: s.revoked_retention_days,
            token_audience: s.token_audience,
            clock_skew_seconds: s.clock_skew_seconds,
            explain_auth_errors: s.explain_auth_errors,
            rate_limit_per_hour: s.rate_limit_per_hour,
            max_feed_staleness: s.max_feed_staleness,
            build_processing_seconds: s.build_processing_seconds,
            webhook_allow_private: s.webhook_allow_private,
            trusted_proxies: Vec::new(),
            policy: None,
            upstream: None,
            upstream_ca_file: None,
            upstream_max_in_flight_per_key: 0,
            upstream_timeout_seconds: 60,
            mail: MailSettings::default(),
        }
    }
}

/// Values given as flags; only those present override.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_ca_file: Option<PathBuf>,
}

impl Config {
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Config, CliError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => {
                return Err(CliError::Usage(format!("the configuration file {} does not exist", path.display())));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("keyward.toml").exists() => figment = figment.merge(Toml::file_exact("keyward.toml")),
            None => {}
        }
        // KEYWARD_TEST_* variables belong to the test harness, not to Keyward.
        // KEYWARD_MAIL_X is the `x` of `[mail]`.
        let env = Env::prefixed("KEYWARD_").filter(|key| !key.as_str().to_ascii_lowercase().starts_with("test_")).map(
            |key| match key.as_str().to_ascii_lowercase().strip_prefix("mail_") {
                Some(rest) => format!("mail.{rest}").into(),
                None => key.into(),
            },
        );
        figment = figment.merge(env).merge(Serialized::globals(overrides));
        let config: Config =
            figment.extract().map_err(|e| CliError::Usage(format!("invalid configuration: {}", describe(e))))?;
        if !matches!(config.log_format.as_str(), "text" | "json") {
            return Err(CliError::Usage(format!(
                "invalid configuration: log_format must be \"text\" or \"json\", not \"{}\"",
                config.log_format
            )));
        }
        if config.upstream.is_some() && config.policy.is_none() {
            return Err(CliError::Usage(
                "invalid configuration: upstream needs a policy (--policy FILE): it says which paths go upstream and who may call them".into(),
            ));
        }
        if config.upstream_timeout_seconds == 0 {
            return Err(CliError::Usage("invalid configuration: upstream_timeout_seconds must be at least 1".into()));
        }
        Ok(config)
    }

    pub fn settings(&self) -> Settings {
        Settings {
            auto_approve_api_access: self.auto_approve_api_access,
            max_active_team_keys: self.max_active_team_keys,
            revoked_retention_days: self.revoked_retention_days,
            token_audience: self.token_audience.clone(),
            clock_skew_seconds: self.clock_skew_seconds,
            explain_auth_errors: self.explain_auth_errors,
            rate_limit_per_hour: self.rate_limit_per_hour,
            max_feed_staleness: self.max_feed_staleness,
            build_processing_seconds: self.build_processing_seconds,
            webhook_allow_private: self.webhook_allow_private,
        }
    }

    pub fn database_url(&self) -> Result<DatabaseUrl, CliError> {
        match &self.database_url {
            Some(url) => url.parse().map_err(CliError::Usage),
            None => Ok(DatabaseUrl::in_data_dir(&self.data_dir)),
        }
    }
}

/// figment's errors, one sentence each, naming the key and where it came from.
fn describe(e: figment::Error) -> String {
    e.into_iter()
        .map(|err| {
            let origin = err.metadata.as_ref().map(|m| format!(" (from {})", m.name)).unwrap_or_default();
            format!("{err}{origin}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("k.toml");
        std::fs::write(&file, "max_active_team_kyes = 3\n").expect("write");
        let err = Config::load(Some(&file), Overrides::default()).expect_err("unknown key");
        assert!(err.to_string().contains("max_active_team_kyes"), "{err}");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closure type, not ours
    fn mail_settings_come_from_the_file_and_the_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("k.toml");
        std::fs::write(
            &file,
            "trusted_proxies = [\"10.0.0.0/8\"]\n[mail]\nsmtp_url = \"smtps://u@mail.test\"\nfrom = \"kw@x.test\"\n",
        )
        .expect("write");
        figment::Jail::expect_with(|jail| {
            jail.set_env("KEYWARD_MAIL_PASSWORD", "from-env");
            let config = Config::load(Some(&file), Overrides::default()).expect("loads");
            assert_eq!(config.mail.smtp_url.as_deref(), Some("smtps://u@mail.test"));
            assert_eq!(config.mail.password.as_deref(), Some("from-env"));
            assert_eq!(config.trusted_proxies, vec!["10.0.0.0/8".to_owned()]);
            Ok(())
        });
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[mail]\nsmtp_host = \"x\"\n").expect("write");
        let err = Config::load(Some(&bad), Overrides::default()).expect_err("unknown key");
        assert!(err.to_string().contains("smtp_host"), "{err}");
    }

    #[test]
    fn file_then_flags() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("k.toml");
        std::fs::write(&file, "max_active_team_keys = 3\nlisten = \"127.0.0.1:9\"\n").expect("write");
        let overrides = Overrides { listen: Some("127.0.0.1:10".into()), ..Overrides::default() };
        let config = Config::load(Some(&file), overrides).expect("loads");
        assert_eq!(config.max_active_team_keys, 3);
        assert_eq!(config.listen, "127.0.0.1:10");
    }
}
