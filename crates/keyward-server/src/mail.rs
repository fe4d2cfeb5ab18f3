//! Invitation and activation mail (I1): the acceptance secret goes to the invitee, not to the
//! person who invited them.
//!
//! `[mail] smtp_url` picks the transport: `smtps://host[:465]` (TLS from the first byte) or
//! `smtp://host[:587]` (STARTTLS, required: no credentials or mail cross an unencrypted link).
//! `smtp://host:port?tls=none` sends in the clear and is meant for a relay on the same machine or
//! a test server. Credentials come from the URL (`smtps://user:pass@host`) or, for the password,
//! from `KEYWARD_MAIL_PASSWORD`. Logs name only the recipient's domain.

use std::fmt;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The `[mail]` settings as configured.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// `smtps://…` or `smtp://…`; mail is off without it.
    pub smtp_url: Option<String>,
    /// The sender, `Keyward <keyward@example.com>`.
    pub from: Option<String>,
    /// The SMTP password when it is not in the URL (`KEYWARD_MAIL_PASSWORD`).
    pub password: Option<String>,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("from", &self.from)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A URL with its password replaced, for logs and `Debug`.
fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("redacted"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<invalid>".into(),
    }
}

/// Why a message was not sent. The text never holds a credential or the message.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail is not configured")]
    NotConfigured,
    #[error("'{0}' is not a valid email address")]
    Address(String),
    #[error("the mail server did not accept the message: {0}")]
    Send(String),
}

pub enum Mailer {
    Off,
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mailer::Off => f.write_str("Mailer::Off"),
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp(from {from})"),
        }
    }
}

/// A message to send: plain text, one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mailer {
    /// Builds the transport from settings; an error names what is wrong, at start.
    pub fn from_settings(settings: &MailSettings) -> Result<Mailer, String> {
        let Some(raw) = settings.smtp_url.as_deref().filter(|s| !s.trim().is_empty()) else {
            return Ok(Mailer::Off);
        };
        let url = url::Url::parse(raw).map_err(|e| format!("mail.smtp_url is not a URL ({e})"))?;
        let host = url.host_str().ok_or("mail.smtp_url names no host")?.to_owned();
        let plain = url.query_pairs().any(|(k, v)| k == "tls" && v == "none");
        if let Some((k, _)) = url.query_pairs().find(|(k, v)| !(k == "tls" && v == "none")) {
            return Err(format!("mail.smtp_url has an unknown parameter '{k}' (only tls=none is understood)"));
        }
        let tls = || TlsParameters::new(host.clone()).map_err(|e| format!("mail.smtp_url: TLS setup failed ({e})"));
        let (port, tls) = match url.scheme() {
            "smtps" => (url.port().unwrap_or(465), Tls::Wrapper(tls()?)),
            "smtp" if plain => (url.port().unwrap_or(25), Tls::None),
            "smtp" => (url.port().unwrap_or(587), Tls::Required(tls()?)),
            other => return Err(format!("mail.smtp_url must start with smtps:// or smtp://, not {other}://")),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(15)));
        let user = percent_decode(url.username());
        let password = url.password().map(percent_decode).or_else(|| settings.password.clone());
        if !user.is_empty() {
            builder = builder.credentials(Credentials::new(user, password.unwrap_or_default()));
        }
        let from = settings
            .from
            .as_deref()
            .ok_or("mail.from is required when mail.smtp_url is set")?
            .parse::<Mailbox>()
            .map_err(|_| "mail.from is not an email address such as Keyward <keyward@example.com>".to_owned())?;
        Ok(Mailer::Smtp { transport: builder.build(), from })
    }

    pub fn enabled(&self) -> bool {
        matches!(self, Mailer::Smtp { .. })
    }

    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let Mailer::Smtp { transport, from } = self else { return Err(MailError::NotConfigured) };
        let domain = mail.to.rsplit_once('@').map(|(_, d)| d.to_owned()).unwrap_or_default();
        let to: Mailbox = mail.to.parse().map_err(|_| MailError::Address(mail.to.clone()))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| MailError::Send(e.to_string()))?;
        match transport.send(message).await {
            Ok(_) => {
                tracing::info!(to_domain = %domain, "mail sent");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(to_domain = %domain, error = %e, "sending mail failed");
                Err(MailError::Send(e.to_string()))
            }
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) =
                (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The invitation (I1): who invites, to which team, with which roles, and the one link.
pub fn invitation(to: &str, team: &str, inviter: &str, roles: &str, link: &str, expires: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: format!("You're invited to join {team}"),
        body: format!(
            "{inviter} invited you to join {team} with the roles {roles}.\n\n\
             Accept the invitation here:\n{link}\n\n\
             The link works once and expires on {expires}. If you did not expect this invitation, ignore this message.\n"
        ),
    }
}

/// The activation link of an Account Holder created by an operator.
pub fn activation(to: &str, team: &str, link: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: format!("Set up your Keyward account for {team}"),
        body: format!(
            "An operator created the team {team} with you as its Account Holder.\n\n\
             Choose your password here:\n{link}\n\n\
             The link works once and expires in 3 days.\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> MailSettings {
        MailSettings { smtp_url: Some(url.into()), from: Some("Keyward <kw@example.test>".into()), password: None }
    }

    // The SMTP pool's destructor needs a Tokio runtime, as it has in `keyward serve`.
    #[tokio::test]
    async fn urls_pick_the_transport_or_say_what_is_wrong() {
        assert!(Mailer::from_settings(&MailSettings::default()).is_ok_and(|m| !m.enabled()));
        assert!(Mailer::from_settings(&settings("smtps://u:p@mail.example.test")).is_ok_and(|m| m.enabled()));
        assert!(Mailer::from_settings(&settings("smtp://mail.example.test")).is_ok_and(|m| m.enabled()));
        assert!(Mailer::from_settings(&settings("smtp://127.0.0.1:2525?tls=none")).is_ok_and(|m| m.enabled()));
        let err = |u: &str| Mailer::from_settings(&settings(u)).err().unwrap_or_default();
        assert!(err("http://mail.example.test").contains("smtps://"));
        assert!(err("smtp://mail.example.test?tls=off").contains("unknown parameter"));
        let no_from = MailSettings { from: None, ..settings("smtps://mail.example.test") };
        assert!(Mailer::from_settings(&no_from).err().unwrap_or_default().contains("mail.from"));
    }

    #[test]
    fn debug_never_shows_the_password() {
        let s = MailSettings { password: Some("hunter2".into()), ..settings("smtps://u:s3cret@mail.example.test") };
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn percent_encoded_credentials_are_decoded() {
        assert_eq!(percent_decode("a%40b%2Fc"), "a@b/c");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn the_invitation_names_team_roles_and_link() {
        let m = invitation(
            "new@x.test",
            "Acme",
            "Ana Admin",
            "Developer",
            "https://kw.test/invitations/abc",
            "Dec 3, 2026",
        );
        assert_eq!(m.subject, "You're invited to join Acme");
        assert!(m.body.contains("https://kw.test/invitations/abc") && m.body.contains("Developer"));
    }
}
