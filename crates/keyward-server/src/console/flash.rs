//! Post/Redirect/Get. Every console form that changes something answers with a 303 to a page, so
//! a reload shows that page again and repeats nothing. What the action did travels to that page in
//! a one-time cookie, which the page shows once: the [`forget_shown`] layer clears it from the
//! response that carried it in.
//!
//! The message can hold something shown only once (an invitation or activation link), so the
//! cookie is HttpOnly, SameSite=Strict, `Secure` with the `__Host-` prefix over https (no sibling
//! site can set or shadow it), and bound to its session: an HMAC keyed by the session token's hash,
//! which never leaves the server, over the message and the time it was made. A message planted by
//! a sibling site, left from another session, or older than two minutes is never shown.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keyward_token::session::{session_tag, session_tag_matches};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::session::Session;

const COOKIE: &str = "keyward_flash";
/// The name over https: browsers accept it only from this host, `Secure`, for `Path=/`.
const HOST_COOKIE: &str = "__Host-keyward_flash";
/// How long a message waits for its page, in seconds.
const LIFETIME: i64 = 120;

/// The outcome of a form, shown once on the page it redirects to.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Flash {
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl Flash {
    pub fn notice(text: impl Into<String>) -> Flash {
        Flash { notice: Some(text.into()), error: None }
    }

    pub fn error(text: impl Into<String>) -> Flash {
        Flash { notice: None, error: Some(text.into()) }
    }
}

/// What the cookie carries: the message and when it was made (unix seconds).
#[derive(Serialize, Deserialize)]
struct Sealed {
    at: i64,
    flash: Flash,
}

fn key(session: &Session) -> String {
    format!("keyward flash\n{}", session.token_hash)
}

/// A 303 to `to` (a path of this site) carrying `flash` for one showing.
pub(crate) fn redirect(session: &Session, to: &str, flash: Flash) -> Response {
    let sealed = Sealed { at: OffsetDateTime::now_utc().unix_timestamp(), flash };
    let payload = keyward_token::b64::encode(serde_json::to_vec(&sealed).unwrap_or_default());
    let tag = session_tag(&key(session), payload.as_bytes());
    let cookie = match session.secure {
        true => format!("{HOST_COOKIE}={payload}.{tag}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={LIFETIME}"),
        false => format!("{COOKIE}={payload}.{tag}; Path=/; HttpOnly; SameSite=Strict; Max-Age={LIFETIME}"),
    };
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// The message the browser brought for this session; empty when there is none that this session
/// made in the last two minutes. Every cookie of the name is tried, so one shadowing it is no help.
pub(crate) fn take(session: &Session, headers: &HeaderMap) -> Flash {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    carried(headers)
        .into_iter()
        .filter_map(|(_, value)| {
            let (payload, tag) = value.split_once('.')?;
            session_tag_matches(&key(session), payload.as_bytes(), tag).then_some(())?;
            let sealed: Sealed = serde_json::from_slice(&keyward_token::b64::decode(payload)?).ok()?;
            (0..=LIFETIME).contains(&(now - sealed.at)).then_some(sealed.flash)
        })
        .next()
        .unwrap_or_default()
}

/// Every flash cookie the request carries, by name.
fn carried(headers: &HeaderMap) -> Vec<(&'static str, String)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            let name = [COOKIE, HOST_COOKIE].into_iter().find(|n| *n == name)?;
            Some((name, value.to_owned()))
        })
        .collect()
}

/// Console layer: a page shown to a browser that brought a flash forgets it, so the message
/// appears once and a reload shows the page without it. A redirect that sets a new flash keeps it.
pub(crate) async fn forget_shown(req: Request, next: Next) -> Response {
    let brought: Vec<&str> = match req.method() == Method::GET {
        true => carried(req.headers()).into_iter().map(|(name, _)| name).collect(),
        false => Vec::new(),
    };
    let mut response = next.run(req).await;
    if response.status().is_redirection() {
        return response;
    }
    for name in [COOKIE, HOST_COOKIE].into_iter().filter(|n| brought.contains(n)) {
        let secure = if name == HOST_COOKIE { " Secure;" } else { "" };
        let forget = format!("{name}=; Path=/;{secure} HttpOnly; SameSite=Strict; Max-Age=0");
        if let Ok(v) = HeaderValue::from_str(&forget) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::ids::PersonId;
    use keyward_core::team::Person;

    fn session(token_hash: &str, secure: bool) -> Session {
        let person = Person {
            id: PersonId::random(),
            email: "a@b.test".into(),
            first_name: String::new(),
            last_name: String::new(),
            is_operator: false,
        };
        Session { token_hash: token_hash.into(), person, csrf: "csrf".into(), other_teams: vec![], secure }
    }

    fn cookie_of(r: &Response) -> String {
        r.headers()[header::SET_COOKIE].to_str().expect("ascii").to_owned()
    }

    fn bringing(pairs: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&pairs.join("; ")).expect("header"));
        h
    }

    fn pair(set_cookie: &str) -> &str {
        set_cookie.split(';').next().expect("pair")
    }

    #[test]
    fn a_flash_round_trips_through_its_cookie() {
        let s = session("hash-1", false);
        let r = redirect(&s, "/x", Flash::notice("Invited a@b.test: https://k/invitations/s"));
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[header::LOCATION], "/x");
        let set = cookie_of(&r);
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Max-Age=120"));
        assert_eq!(take(&s, &bringing(&[pair(&set)])), Flash::notice("Invited a@b.test: https://k/invitations/s"));
    }

    #[test]
    fn over_https_the_flash_is_secure_and_host_only() {
        let s = session("hash-1", true);
        let set = cookie_of(&redirect(&s, "/x", Flash::notice("hello")));
        assert!(set.starts_with("__Host-keyward_flash=") && set.contains("; Secure;") && set.contains("Path=/;"));
        // A cookie of the plain name set by a sibling site, sent first, does not hide the real one.
        let shadow = "keyward_flash=e30.AAAA";
        assert_eq!(take(&s, &bringing(&[shadow, pair(&set)])), Flash::notice("hello"));
    }

    #[test]
    fn a_flash_from_another_session_forged_or_stale_is_ignored() {
        let r = redirect(&session("hash-1", false), "/x", Flash::error("Something"));
        let set = cookie_of(&r);
        assert_eq!(take(&session("hash-2", false), &bringing(&[pair(&set)])), Flash::default(), "another session");
        let s = session("hash-1", false);
        let forge = |sealed: &Sealed| keyward_token::b64::encode(serde_json::to_vec(sealed).unwrap_or_default());
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let planted = forge(&Sealed { at: now, flash: Flash::notice("Send your key to evil") });
        assert_eq!(take(&s, &bringing(&[&format!("{COOKIE}={planted}.AAAA")])), Flash::default(), "planted");
        assert_eq!(take(&s, &bringing(&[&format!("{COOKIE}={planted}")])), Flash::default(), "untagged");
        // Correctly tagged but made three minutes ago: expired, whatever the browser kept.
        let stale = forge(&Sealed { at: now - 180, flash: Flash::notice("old") });
        let tag = session_tag(&key(&s), stale.as_bytes());
        assert_eq!(take(&s, &bringing(&[&format!("{COOKIE}={stale}.{tag}")])), Flash::default(), "stale");
    }
}
