//! Apple's error envelope, and the one place errors become HTTP responses.
//!
//! Policy: a client's mistake is an [`ApiError`] with the status, code and title Apple uses
//! (spec section 6), and nothing is written. A rule refusal from the domain maps here to its
//! status. A fault of ours is a 500 whose body says nothing of the cause; the cause is logged.
//! Every body is `{"errors":[…]}` with `Content-Type: application/json` exactly.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keyward_core::error::{DomainError, StoreError};
use serde::Serialize;

pub const NOT_AUTHORIZED_DETAIL: &str = "Provide a properly configured and signed bearer token, and make sure that it has not expired. \
     Learn more about Generating Tokens for API Requests https://developer.apple.com/go/?id=api-generating-tokens";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub enum Source {
    #[serde(rename = "parameter")]
    Parameter(String),
    #[serde(rename = "pointer")]
    Pointer(String),
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: String,
    pub detail: Option<String>,
    pub source: Option<Source>,
    pub headers: Vec<(HeaderName, String)>,
    /// D4: the database could not be reached; the response carries [`DatabaseAway`].
    database_away: bool,
}

/// D4: a response extension saying the request failed because the database could not be
/// reached, so the outer layer (`database_guard`) tells the store to fail fast from now on.
#[derive(Debug, Clone, Copy)]
pub struct DatabaseAway;

#[derive(Serialize)]
struct ErrorBody<'a> {
    id: String,
    status: String,
    code: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a Source>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, title: &str, detail: Option<String>) -> Self {
        Self { status, code, title: title.to_owned(), detail, source: None, headers: Vec::new(), database_away: false }
    }

    /// Any other error of Apple's catalogue.
    pub fn custom(status: StatusCode, code: &'static str, title: &str, detail: Option<String>) -> Self {
        Self::new(status, code, title, detail)
    }

    /// T1–T14: every refused token gets the same body, unless `explain` puts the reason in detail.
    pub fn not_authorized(explain: Option<String>) -> Self {
        let detail = explain
            .map_or_else(|| NOT_AUTHORIZED_DETAIL.to_owned(), |reason| format!("{NOT_AUTHORIZED_DETAIL} ({reason})"));
        Self::new(
            StatusCode::UNAUTHORIZED,
            "NOT_AUTHORIZED",
            "Authentication credentials are missing or invalid.",
            Some(detail),
        )
    }

    /// A5.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN_ERROR",
            "This request is forbidden for security reasons",
            Some("The API key in use does not allow this request".into()),
        )
    }

    /// An operation the resource does not support (e.g. `POST /v1/apps`).
    pub fn operation_not_allowed(resource: &str, operation: &str, allowed: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN_ERROR",
            "The given operation is not allowed",
            Some(format!("The resource '{resource}' does not allow '{operation}'. Allowed operations are: {allowed}")),
        )
    }

    pub fn not_found(resource: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The specified resource does not exist",
            Some(format!("There is no resource of type '{resource}' with id '{id}'")),
        )
    }

    pub fn path_error() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "PATH_ERROR",
            "The URL path is not valid",
            Some("The path provided does not match a defined resource type.".into()),
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "The request method is not valid for the resource path.",
            Some("The request method is not allowed for this path.".into()),
        )
    }

    /// A 409 about the body (R4): Apple's `ENTITY_ERROR.*` code, with `source.pointer`.
    pub fn entity(code: &'static str, detail: String, pointer: &str) -> Self {
        let title = match code {
            c if c.ends_with("REQUIRED") => "A required value is missing.",
            c if c.starts_with("ENTITY_ERROR.RELATIONSHIP") => {
                "The provided entity includes a relationship with an invalid value"
            }
            c if c.ends_with("UNKNOWN") => "The provided entity includes an unknown attribute",
            _ => "An attribute value is invalid.",
        };
        Self::new(StatusCode::CONFLICT, code, title, Some(detail)).with_pointer(pointer)
    }

    /// `source.pointer`: where in the body the problem is.
    pub fn with_pointer(mut self, pointer: &str) -> Self {
        self.source = Some(Source::Pointer(pointer.to_owned()));
        self
    }

    pub fn parameter(parameter: &str, detail: String) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "PARAMETER_ERROR.INVALID",
            "A parameter has an invalid value",
            Some(detail),
        );
        e.source = Some(Source::Parameter(parameter.to_owned()));
        e
    }

    /// L3.
    /// M3: this node cannot vouch for its key table (its change feed is too stale), so it refuses
    /// rather than trust keys that may have been revoked.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable.",
            Some(
                "The server cannot reach its database to confirm that keys are still valid. Please try again shortly."
                    .into(),
            ),
        )
    }

    /// D4: a request that needs the database while it cannot be reached. Answered at once (the
    /// node knows it is away) with `Retry-After`, as Apple's 503s invite a retry.
    pub fn database_unavailable() -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable.",
            Some("The server cannot reach its database. Please try again shortly.".into()),
        )
        .with_header(header::RETRY_AFTER, "1".to_owned());
        e.database_away = true;
        e
    }

    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMIT_EXCEEDED",
            "The request rate limit has been reached.",
            Some("We've received too many requests for this API. Please wait and try again or slow down your request rate.".into()),
        )
    }

    /// #24: a key past its cap of requests in flight to the gateway's upstream.
    pub fn too_many_in_flight() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMIT_EXCEEDED",
            "The request rate limit has been reached.",
            Some(
                "This key has as many requests in progress as it may have. Wait for one to finish and try again."
                    .into(),
            ),
        )
    }

    pub fn state(detail: String) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "STATE_ERROR",
            "The request cannot be fulfilled because of the state of another resource.",
            Some(detail),
        )
    }

    /// G2: the gateway's upstream refused the connection or broke it off.
    pub fn bad_gateway() -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            "BAD_GATEWAY",
            "The upstream service could not be reached.",
            Some("The service behind this gateway did not answer. Please try again shortly.".into()),
        )
    }

    /// G2: the gateway's upstream did not answer within the gateway's timeout.
    pub fn gateway_timeout() -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            "GATEWAY_TIMEOUT",
            "The upstream service did not answer in time.",
            Some("The service behind this gateway took too long to answer. Please try again shortly.".into()),
        )
    }

    /// G1, G3: a request this gateway cannot vouch for: a path under no route, or in a form an
    /// upstream could read as another path, or an original request the proxy did not describe.
    pub fn forbidden_because(detail: &str) -> Self {
        let mut e = Self::forbidden();
        e.detail = Some(format!("The API key in use does not allow this request: {detail}"));
        e
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "UNEXPECTED_ERROR", "An unexpected error occurred.", None)
    }

    pub fn with_header(mut self, name: HeaderName, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rule(rule) => rule.into(),
            StoreError::Backend(detail) => {
                tracing::error!(%detail, "storage failure");
                ApiError::internal()
            }
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "refused: the database is unreachable");
                ApiError::database_unavailable()
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound { what, id } => ApiError::not_found(what.json_api_type(), &id),
            DomainError::NoSuchResource { kind, id } => ApiError::not_found(&kind, &id),
            DomainError::Refused { pointer, detail, capped: false } => {
                let code = if pointer.starts_with("/data/relationships") {
                    "ENTITY_ERROR.RELATIONSHIP.INVALID"
                } else {
                    "ENTITY_ERROR.ATTRIBUTE.INVALID"
                };
                ApiError::entity(code, detail, &pointer)
            }
            DomainError::Refused { detail, capped: true, .. } => ApiError::custom(
                StatusCode::CONFLICT,
                "ENTITY_ERROR",
                "There is a problem with the request entity",
                Some(detail),
            ),
            DomainError::UnknownLink { .. } => ApiError::custom(
                StatusCode::CONFLICT,
                "ENTITY_ERROR.RELATIONSHIP.INVALID",
                "The provided entity includes a relationship with an invalid value",
                Some(e.to_string()),
            )
            .with_pointer("/data/relationships"),
            DomainError::NotAllowed(_) | DomainError::CannotGenerateTeamKey | DomainError::CannotRevoke => {
                ApiError::forbidden()
            }
            DomainError::NotKeyManager | DomainError::CannotGrantCapability => {
                ApiError::forbidden_because(&e.to_string())
            }
            DomainError::AccountHolderImmutable => {
                ApiError::state("The Account Holder cannot be removed or demoted".into())
            }
            other => ApiError::state(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.as_u16().to_string();
        let body = ErrorBody {
            id: uuid::Uuid::new_v4().to_string(),
            status,
            code: self.code,
            title: &self.title,
            detail: self.detail.as_deref(),
            source: self.source.as_ref(),
        };
        let json = serde_json::to_vec(&serde_json::json!({ "errors": [body] })).unwrap_or_default();
        let mut response = (self.status, json).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
        if self.database_away {
            response.extensions_mut().insert(DatabaseAway);
        }
        response
    }
}
