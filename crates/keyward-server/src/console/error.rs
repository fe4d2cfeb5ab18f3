//! How a console request ends without its page. Handlers return [`PageResult`] and use `?`, as
//! axum's error-handling examples do: something not found (or not the person's to see: the two
//! look the same) is the 404 page, a rule the handler did not explain itself is a plain refusal,
//! a storage fault is a generic page logged with its cause, and a response made early (a refused
//! form, a redirect to sign in) passes through.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keyward_core::error::{DomainError, StoreError};

use super::page::{message, not_found, store_failure};
use super::words::sentence;

#[derive(Debug)]
pub(crate) enum PageError {
    NotFound,
    Refused(DomainError),
    Storage(StoreError),
    Early(Response),
}

/// A console page or a redirect, or why not.
pub(crate) type PageResult = Result<Response, PageError>;

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rule(DomainError::NotFound { .. }) => PageError::NotFound,
            StoreError::Rule(rule) => PageError::Refused(rule),
            e @ (StoreError::Backend(_) | StoreError::Unavailable(_)) => PageError::Storage(e),
        }
    }
}

/// A refusal already rendered (`TeamPage::check`, a page's own refusal).
impl From<Response> for PageError {
    fn from(r: Response) -> Self {
        PageError::Early(r)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::NotFound => not_found(),
            PageError::Refused(rule) => {
                let status = match rule {
                    DomainError::NotAllowed(_) | DomainError::CannotGenerateTeamKey | DomainError::CannotRevoke => {
                        StatusCode::FORBIDDEN
                    }
                    DomainError::InvalidInput(_) | DomainError::InvalidId { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                    _ => StatusCode::CONFLICT,
                };
                message(status, "That cannot be done", &sentence(&rule.to_string()))
            }
            PageError::Storage(e) => store_failure(e),
            PageError::Early(r) => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_become_the_pages_they_should() {
        let status = |e: PageError| e.into_response().status();
        let not_found = StoreError::Rule(DomainError::NotFound {
            what: keyward_core::error::Resource::Key,
            id: "ABCDEF1234".into(),
        });
        assert_eq!(status(not_found.into()), StatusCode::NOT_FOUND);
        assert_eq!(status(StoreError::Rule(DomainError::CannotRevoke).into()), StatusCode::FORBIDDEN);
        assert_eq!(status(StoreError::Rule(DomainError::IndividualKeyExists).into()), StatusCode::CONFLICT);
        let bad_name = DomainError::InvalidInput("a name must be printable".into());
        assert_eq!(status(StoreError::Rule(bad_name).into()), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status(StoreError::Backend("disk on fire".into()).into()), StatusCode::INTERNAL_SERVER_ERROR);
        let early = (StatusCode::UNPROCESSABLE_ENTITY, "refused").into_response();
        assert_eq!(status(early.into()), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
