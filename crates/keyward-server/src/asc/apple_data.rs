//! Operations whose answer is not a JSON:API document but data only Apple has (R7): sales and
//! finance reports (gzip TSV), power and performance metrics, diagnostic logs, one-time-use offer
//! codes (CSV). Each answers in Apple's format and media type. A report has Apple's columns, then
//! the rows of the seeded report whose filters the request names (seed files' `[[teams.reports]]`),
//! or none. Metrics, logs and codes answer what a seed file gave for the request's path
//! (`[[teams.data]]`), or Apple's empty form. The parent of a related path is checked like any
//! other (404 naming its type), so seeded data of a hidden app stays hidden (A4).

use std::io::Write;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Call, parent};
use crate::error::ApiError;

/// The columns of a Summary Sales Report, in Apple's order.
const SALES_COLUMNS: &str = "Provider\tProvider Country\tSKU\tDeveloper\tTitle\tVersion\tProduct Type Identifier\tUnits\t\
Developer Proceeds\tBegin Date\tEnd Date\tCustomer Currency\tCountry Code\tCurrency of Proceeds\tApple Identifier\t\
Customer Price\tPromo Code\tParent Identifier\tSubscription\tPeriod\tCategory\tCMB\tDevice\tSupported Platforms\t\
Proceeds Reason\tPreserved Pricing\tClient\tOrder Type";

/// The columns of a Financial Report, in Apple's order.
const FINANCE_COLUMNS: &str = "Start Date\tEnd Date\tUPC\tISRC/ISBN\tVendor Identifier\tQuantity\tPartner Share\t\
Extended Partner Share\tPartner Share Currency\tSales or Return\tApple Identifier\tArtist/Show/Developer/Author\tTitle\t\
Label/Studio/Network/Developer/Publisher\tGrid\tProduct Type Identifier\tISAN/Other Identifier\tCountry Of Sale\t\
Pre-order Flag\tPromo Code\tCustomer Price\tCustomer Currency";

/// Whether the operation answers in a format of its own rather than JSON:API.
pub(super) fn serves(call: &Call<'_>) -> bool {
    call.operation.response.is_none()
        && !call.operation.kind.writes()
        && call.operation.kind != keyward_asc::OpKind::GetMetrics
}

fn answer(media: &'static str, body: Vec<u8>) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    r
}

fn gzip(text: &str) -> Result<Vec<u8>, ApiError> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).map_err(|_| ApiError::internal())?;
    encoder.finish().map_err(|_| ApiError::internal())
}

pub(super) fn handle(call: &Call<'_>) -> Result<Response, ApiError> {
    let op = call.operation;
    match (op.family.as_str(), op.relationship.as_deref()) {
        ("salesReports", None) => Ok(answer("application/a-gzip", gzip(&report(call, "salesReports", SALES_COLUMNS))?)),
        ("financeReports", None) => {
            Ok(answer("application/a-gzip", gzip(&report(call, "financeReports", FINANCE_COLUMNS))?))
        }
        (_, Some("perfPowerMetrics")) => {
            parent::of(call)?;
            let body = seeded(call).unwrap_or_else(|| br#"{"version":"1.0","insights":{},"productData":[]}"#.to_vec());
            Ok(answer("application/vnd.apple.xcode-metrics+json", body))
        }
        (_, Some("logs")) => {
            parent::of(call)?;
            let body = seeded(call).unwrap_or_else(|| br#"{"version":"1.0","productData":[]}"#.to_vec());
            Ok(answer("application/vnd.apple.diagnostic-logs+json", body))
        }
        (_, Some("values")) => {
            parent::of(call)?;
            Ok(answer("text/csv", seeded(call).unwrap_or_default()))
        }
        _ => {
            tracing::error!(operation = %op.id, "an operation of Apple's with a format Keyward does not answer");
            Err(ApiError::internal())
        }
    }
}

/// What a seed file gave for the request's path (`[[teams.data]]`): its JSON or its text.
pub(super) fn seeded(call: &Call<'_>) -> Option<Vec<u8>> {
    let path = call.uri.path();
    let all = call.state.replica.resources().of_kind(call.key.team_id, keyward_core::seed::APPLE_DATA_KIND);
    let found = all.iter().find(|r| r.attributes.get("path").and_then(|p| p.as_str()) == Some(path))?;
    match (found.attributes.get("json"), found.attributes.get("text")) {
        (Some(json), _) => serde_json::to_vec(json).ok(),
        (None, Some(text)) => text.as_str().map(|t| t.as_bytes().to_vec()),
        (None, None) => None,
    }
}

/// The TSV of the seeded report of `kind` whose every filter the request names with that value:
/// the header, then its rows; the header alone when none matches.
fn report(call: &Call<'_>, kind: &str, columns: &str) -> String {
    let asked = |name: &str, value: &str| {
        call.query.filters.iter().any(|(f, values)| f == name && values.iter().any(|v| v == value))
    };
    let seeded = call.state.replica.resources().of_kind(call.key.team_id, kind);
    let rows = seeded.iter().find_map(|r| {
        let filters = r.attributes.get("filters")?.as_object()?;
        filters
            .iter()
            .all(|(k, v)| v.as_str().is_some_and(|v| asked(k, v)))
            .then(|| r.attributes.get("rows").cloned())?
    });
    let mut tsv = format!("{columns}\n");
    for row in rows.iter().filter_map(|r| r.as_array()).flatten().filter_map(|r| r.as_str()) {
        tsv.push_str(row);
        tsv.push('\n');
    }
    tsv
}
