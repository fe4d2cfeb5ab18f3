//! `keyward api METHOD PATH`: signs a fresh token, calls the API, prints the JSON body (pretty on a
//! terminal), renders Apple errors readably on stderr, exits 1 on 4xx/5xx.

use std::io::IsTerminal;

use serde_json::Value;

use crate::cli::ApiArgs;
use crate::error::CliError;

pub async fn run(args: ApiArgs) -> Result<(), CliError> {
    let method = reqwest::Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| CliError::Usage(format!("'{}' is not an HTTP method", args.method)))?;
    if !args.path.starts_with('/') {
        return Err(CliError::Usage(format!("'{}' is not a path; paths start with /, e.g. /v1/apps", args.path)));
    }
    let token = super::token::make_token(&args.credentials)?;
    let base = args
        .base_url
        .or_else(|| std::env::var("ASC_BASE_URL").ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let url = format!("{}{}", base.trim_end_matches('/'), args.path);
    let mut builder = reqwest::Client::builder();
    if let Some(ca) = args.cacert.or_else(|| std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from)) {
        let pem = std::fs::read(&ca)
            .map_err(|e| CliError::Usage(format!("cannot read the CA certificate {}: {e}", ca.display())))?;
        let cert = reqwest::Certificate::from_pem(&pem)
            .map_err(|e| CliError::Usage(format!("{} is not a PEM certificate: {e}", ca.display())))?;
        builder = builder.add_root_certificate(cert);
    }
    let client = builder.build().map_err(|e| CliError::Refused(format!("cannot set up the HTTP client: {e}")))?;
    let mut request = client.request(method, &url).bearer_auth(token);
    if let Some(data) = args.data {
        serde_json::from_str::<Value>(&data).map_err(|e| CliError::Usage(format!("--data is not JSON: {e}")))?;
        request = request.header(reqwest::header::CONTENT_TYPE, "application/json").body(data);
    }
    let response = request.send().await.map_err(|e| CliError::Refused(format!("cannot reach {url}: {e}")))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| CliError::Refused(format!("reading the response failed: {e}")))?;
    let parsed: Option<Value> = serde_json::from_str(&body).ok();
    if status.is_success() {
        match parsed {
            Some(json) if std::io::stdout().is_terminal() => {
                println!("{}", serde_json::to_string_pretty(&json).unwrap_or(body));
            }
            _ if body.is_empty() => {}
            _ => println!("{body}"),
        }
        return Ok(());
    }
    let errors: Vec<String> = parsed
        .as_ref()
        .and_then(|j| j.get("errors"))
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    let field = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                    let source = e.get("source").map(|s| format!(" [{s}]")).unwrap_or_default();
                    format!("{} {}: {} {}{source}", field("status"), field("code"), field("title"), field("detail"))
                })
                .collect()
        })
        .unwrap_or_default();
    if errors.is_empty() {
        Err(CliError::Refused(format!("{} {}", status, body.trim())))
    } else {
        Err(CliError::Refused(errors.join("\nerror: ")))
    }
}
