//! One-time messages across a redirect (Post/Redirect/Get): a form's outcome travels in a short-lived
//! cookie to the page the POST redirects to, which shows it once and clears it. A reload shows the
//! page without it and repeats nothing. Used where the outcome carries something shown only once
//! (an invitation's link).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

const COOKIE: &str = "keyward_flash";

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Flash {
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// A 303 to `to` carrying `flash` for one showing (HttpOnly, SameSite=Strict, two minutes).
pub(crate) fn redirect(to: &str, flash: &Flash) -> Response {
    let value = keyward_token::b64::encode(serde_json::to_vec(flash).unwrap_or_default());
    let cookie = format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=120");
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// The flash the browser brought, if any; the page that shows it must [`clear`] it.
pub(crate) fn take(headers: &HeaderMap) -> Option<Flash> {
    let raw =
        headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(
            |pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == COOKIE).then(|| value.to_owned())
            },
        )?;
    serde_json::from_slice(&keyward_token::b64::decode(&raw)?).ok()
}

/// Adds the header that forgets the flash to a page that showed it.
pub(crate) fn clear(mut response: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_round_trips_through_its_cookie() {
        let r =
            redirect("/x", &Flash { notice: Some("Invited a@b.test: https://k/invitations/s".into()), error: None });
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let set = r.headers()[header::SET_COOKIE].to_str().expect("ascii").to_owned();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(set.split(';').next().expect("pair")).expect("header"));
        assert_eq!(take(&h).and_then(|f| f.notice).as_deref(), Some("Invited a@b.test: https://k/invitations/s"));
    }
}
