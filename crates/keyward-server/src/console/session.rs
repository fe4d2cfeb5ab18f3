//! The console's session: the `Session` extractor (cookie → signed-in person, or a redirect to
//! sign in), cookies, and the CSRF and Origin checks of state-changing forms.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use keyward_core::ports::SessionStore;
use keyward_core::team::Person;
use time::OffsetDateTime;

use crate::AppState;

/// The session cookie over http. Over https it is [`HOST_COOKIE`]: browsers accept a `__Host-`
/// cookie only from this host, `Secure`, for `Path=/`, so a sibling subdomain cannot plant one
/// (session fixation) or shadow it.
pub(crate) const COOKIE: &str = "keyward_session";
pub(crate) const HOST_COOKIE: &str = "__Host-keyward_session";
/// Sessions last 12 hours.
pub(crate) const LIFETIME: time::Duration = time::Duration::hours(12);

#[derive(Clone)]
pub(crate) struct Session {
    pub token_hash: String,
    pub person: Person,
    pub csrf: String,
    /// The person's other teams (name, Issuer ID), for the team switcher; filled on team pages.
    pub other_teams: Vec<(String, String)>,
    /// The console is served over https: cookies it sets are `Secure`.
    pub secure: bool,
}

/// The CSRF secret and the token's hash stay out of logs.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("person", &self.person)
            .field("other_teams", &self.other_teams)
            .finish_non_exhaustive()
    }
}

fn cookie_name(secure: bool) -> &'static str {
    if secure { HOST_COOKIE } else { COOKIE }
}

/// The session token the browser sent. Over https only the `__Host-` cookie counts: a plain
/// `keyward_session` there can only have been planted.
pub(crate) fn cookie_value(headers: &HeaderMap, secure: bool) -> Option<String> {
    let wanted = cookie_name(secure);
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == wanted).then(|| value.to_owned())
    })
}

/// `Set-Cookie` for a new session: `__Host-` and `Secure` when the console is served over https.
pub(crate) fn set_cookie(token: &str, secure: bool) -> String {
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", LIFETIME.whole_seconds())
}

pub(crate) fn clear_cookie(secure: bool) -> String {
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

pub(crate) fn secure(state: &AppState) -> bool {
    state.https || state.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
}

/// The signed-in person's session, if any: for pages that anyone may open but that answer
/// differently to a signed-in person (accepting an invitation).
pub(crate) async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, Response> {
    let Some(token) = cookie_value(headers, secure(state)) else { return Ok(None) };
    let hash = keyward_token::session::hash_token(&token);
    match state.store.session(&hash, OffsetDateTime::now_utc()).await {
        Ok(record) => Ok(record.map(|r| Session {
            token_hash: hash,
            person: r.person,
            csrf: r.csrf,
            other_teams: Vec::new(),
            secure: secure(state),
        })),
        Err(e) => Err(super::page::store_failure(e)),
    }
}

/// A cross-site form post: an `Origin` naming another host, or `Sec-Fetch-Site: cross-site`.
/// Forms that run without a session (accepting an invitation) check this instead of a CSRF token.
pub(crate) fn cross_site(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let foreign_origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .is_some_and(|origin| origin.split_once("://").map(|(_, rest)| rest) != Some(host));
    let fetch_cross = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site");
    foreign_origin || fetch_cross
}

/// Where to go after signing in: a path on this site only. Allowed: `/` then URL path and query
/// characters; never `//host`, a backslash, or a control character (browsers drop tabs and
/// newlines, so `/\t/host` would become `//host`).
pub(crate) fn local_path(next: &str) -> Option<&str> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-._~/?=&%:+,;@!$'()*[]".contains(c);
    let ok = next.starts_with('/') && !next.starts_with("//") && next.len() <= 2048 && next.chars().all(safe);
    ok.then_some(next)
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = || Redirect::to("/login").into_response();
        let Some(token) = cookie_value(&parts.headers, secure(state)) else { return Err(to_login()) };
        let hash = keyward_token::session::hash_token(&token);
        match state.store.session(&hash, OffsetDateTime::now_utc()).await {
            Ok(Some(record)) => Ok(Session {
                token_hash: hash,
                person: record.person,
                csrf: record.csrf,
                other_teams: Vec::new(),
                secure: secure(state),
            }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(super::page::store_failure(e)),
        }
    }
}

/// A form whose only field is the CSRF token (download, remove).
#[derive(serde::Deserialize)]
pub(crate) struct CsrfForm {
    pub csrf: String,
}

/// A state-changing form must echo the session's CSRF token and come from this site.
pub(crate) fn check_form(session: &Session, csrf: &str, headers: &HeaderMap) -> Result<(), Response> {
    let forbidden = || {
        super::page::message(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form has expired or did not come from this site. Reload the page and try again.",
        )
    };
    if !constant_time_eq(csrf.as_bytes(), session.csrf.as_bytes()) {
        return Err(forbidden());
    }
    if cross_site(headers) {
        return Err(forbidden());
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Starts a new session for `person` (a new token and CSRF token) and redirects to `to` with its
/// cookie. Used by sign-in, first-run setup, accepting an invitation and activation.
pub(crate) async fn sign_in(state: &AppState, person: keyward_core::ids::PersonId, to: &str) -> Response {
    use keyward_token::session::{SessionToken, random_token};
    let (Ok(token), Ok(csrf)) = (SessionToken::generate(), random_token()) else {
        return super::page::message(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.");
    };
    if let Err(e) = state.store.create_session(person, &token.hash(), &csrf, OffsetDateTime::now_utc() + LIFETIME).await
    {
        return super::page::store_failure(e);
    }
    ([(header::SET_COOKIE, set_cookie(token.expose(), secure(state)))], Redirect::to(to)).into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn over_https_the_session_is_a_host_cookie_and_a_plain_one_is_ignored() {
        let set = set_cookie("t0ken", true);
        assert!(set.starts_with("__Host-keyward_session=t0ken; Path=/;") && set.ends_with("; Secure"), "{set}");
        assert!(clear_cookie(true).starts_with("__Host-keyward_session=;") && clear_cookie(true).ends_with("; Secure"));
        assert!(set_cookie("t0ken", false).starts_with("keyward_session=t0ken;"));
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "keyward_session=planted; theme=dark".parse().unwrap());
        assert_eq!(cookie_value(&headers, true), None, "a sibling's plain cookie is no session over https");
        assert_eq!(cookie_value(&headers, false).as_deref(), Some("planted"));
        headers.append(header::COOKIE, "__Host-keyward_session=mine".parse().unwrap());
        assert_eq!(cookie_value(&headers, true).as_deref(), Some("mine"));
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path("/invitations/abc_-9"), Some("/invitations/abc_-9"));
        assert_eq!(local_path("/teams/x/users?tab=1"), Some("/teams/x/users?tab=1"));
        for bad in ["//evil.test", "/\\evil.test", "/\t/evil.test", "/\u{1}", "https://evil.test", "", "evil", "/\n//x"]
        {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
