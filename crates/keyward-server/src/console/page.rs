//! How every console page is answered: a template rendered (a fault is a 500 that says nothing of
//! its cause), a message page, the 404 page, the page for a storage failure. Pages and the
//! extractors below them (`session.rs`, `team_page.rs`, `error.rs`) share these.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Renders a page; a template fault is a 500 that says nothing of the cause.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct Message<'a> {
    pub title: &'a str,
    pub message: &'a str,
}

pub(crate) fn message(status: StatusCode, title: &str, message: &str) -> Response {
    render(status, &Message { title, message })
}

pub(crate) fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Not found", "There is nothing here, or you are not allowed to see it.")
}

/// A storage failure: logged with its cause, shown as a generic page (nothing leaks to the browser).
pub(crate) fn store_failure(e: keyward_core::error::StoreError) -> Response {
    if let keyward_core::error::StoreError::Unavailable(detail) = &e {
        tracing::warn!(%detail, "console request refused: the database is unreachable");
        let mut page = message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Keyward cannot reach its database",
            "Please try again in a moment.",
        );
        page.extensions_mut().insert(crate::error::DatabaseAway);
        return page;
    }
    tracing::error!(error = %e, "console request failed");
    message(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again.")
}
