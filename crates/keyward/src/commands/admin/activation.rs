//! `keyward admin activation-link --email EMAIL`: a one-time link (3 days) with which a person who
//! has no password yet (an Account Holder made by `admin team create`, a member added by
//! `admin member add`, both without `--password-stdin`) chooses one. Accepting an invitation never
//! sets a password (I2), so this is how such a person first signs in. A new link replaces the last.

use keyward_core::ports::SessionStore;
use keyward_store::Store;
use keyward_token::session::SessionToken;
use serde_json::json;
use time::OffsetDateTime;

use crate::cli::ActivationArgs;
use crate::config::Config;
use crate::error::CliError;
use crate::output::Output;

pub async fn run(store: &Store, args: ActivationArgs, config: &Config, out: Output) -> Result<(), CliError> {
    let email = args.email.trim().to_lowercase();
    let (person, password) = store
        .login_identity(&email)
        .await?
        .ok_or_else(|| CliError::Refused(format!("nobody with the email {email} exists")))?;
    if password.is_some() {
        return Err(CliError::Refused(format!("{email} already has a password and signs in with it")));
    }
    let token = SessionToken::generate().map_err(|e| CliError::Refused(e.to_string()))?;
    let expires = OffsetDateTime::now_utc() + time::Duration::days(3);
    store.set_activation(person.id, &token.hash(), expires).await?;
    let base = config.public_url.clone().unwrap_or_else(|| format!("http://{}", config.listen));
    let link = format!("{}/activate/{}", base.trim_end_matches('/'), token.expose());
    let expires_at = expires.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let value = json!({"email": email, "link": link, "expires_at": expires_at});
    out.one(&value, || format!("Send {email} this link to choose a password (works once, for 3 days):\n{link}"));
    Ok(())
}
