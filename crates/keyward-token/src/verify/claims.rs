//! The claim rules T6–T13, on a payload whose signature already verified.

use keyward_core::key::KeyKind;
use serde_json::{Map, Value};

use super::scope::{RequestTarget, Scope, ScopeEntry};
use super::{AuthFailure, KeyEntry, MAX_LIFETIME, MAX_LONG_LIFETIME, TeamEntry, VerifierConfig};

pub(crate) struct Checked {
    pub exp: i64,
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
    pub scope: Option<Scope>,
}

/// A NumericDate: a JSON number, fractions truncated. Anything else is refused.
fn number(payload: &Map<String, Value>, claim: &'static str) -> Result<Option<i64>, AuthFailure> {
    match payload.get(claim) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite() && f.abs() < 1e15).map(|f| f.trunc() as i64))
            .map(Some)
            .ok_or(AuthFailure::ClaimNotNumber { claim }),
        Some(_) => Err(AuthFailure::ClaimNotNumber { claim }),
    }
}

pub(crate) fn check_claims(
    payload: &Map<String, Value>,
    key: &KeyEntry,
    team: &TeamEntry,
    now: i64,
    audience: &str,
    config: &VerifierConfig,
    target: &RequestTarget<'_>,
) -> Result<Checked, AuthFailure> {
    // T6: aud is the audience, or an array containing it.
    match payload.get("aud") {
        None => return Err(AuthFailure::AudMissing),
        Some(Value::String(a)) if a == audience => {}
        Some(Value::Array(items)) if items.iter().any(|a| a.as_str() == Some(audience)) => {}
        Some(other) => return Err(AuthFailure::AudMismatch { aud: other.to_string() }),
    }
    // T7: team keys name their team's Issuer ID; individual keys say sub "user" and no iss.
    match key.kind {
        KeyKind::Team => match payload.get("iss") {
            None => return Err(AuthFailure::IssMissing),
            Some(Value::String(iss)) if iss.eq_ignore_ascii_case(&team.issuer_id.to_string()) => {}
            Some(other) => return Err(AuthFailure::IssMismatch { iss: other.to_string() }),
        },
        KeyKind::Individual => {
            if payload.contains_key("iss") {
                return Err(AuthFailure::IssWithIndividualKey);
            }
            match payload.get("sub") {
                Some(Value::String(s)) if s == "user" => {}
                Some(other) => return Err(AuthFailure::SubNotUser { sub: other.to_string() }),
                None => return Err(AuthFailure::SubNotUser { sub: "absent".into() }),
            }
        }
    }
    // T12: scope, when present, is an array of "METHOD /path[?query]" strings.
    let scope = match payload.get("scope") {
        None => None,
        Some(Value::Array(items)) if !items.is_empty() => {
            let mut entries = Vec::with_capacity(items.len());
            for item in items {
                let Value::String(s) = item else {
                    return Err(AuthFailure::ScopeMalformed { detail: format!("{item} is not a string") });
                };
                entries.push(ScopeEntry::parse(s).map_err(|detail| AuthFailure::ScopeMalformed { detail })?);
            }
            Some(Scope(entries))
        }
        Some(other) => return Err(AuthFailure::ScopeMalformed { detail: format!("{other} is not a non-empty array") }),
    };
    let exp = number(payload, "exp")?.ok_or(AuthFailure::ExpMissing)?;
    let iat = number(payload, "iat")?;
    let nbf = number(payload, "nbf")?;
    let skew = config.clock_skew_seconds;
    // T11: the longest lifetime this token may have.
    // Only for Apple's API: the gateway's routes (another audience) never take 180-day tokens.
    let apple = audience == config.audience;
    let max =
        if apple && scope.as_ref().is_some_and(Scope::allows_long_lived) { MAX_LONG_LIFETIME } else { MAX_LIFETIME };
    // T9: when iat is present, the lifetime is bounded.
    // Checked: an `iat` near i64::MIN would overflow, and a wrapped lifetime would pass.
    if let Some(iat) = iat {
        let lifetime = exp.checked_sub(iat).unwrap_or(i64::MAX);
        if lifetime > max {
            return Err(AuthFailure::LifetimeTooLong { lifetime, max });
        }
    }
    // T10: whatever iat says, exp cannot be further than the maximum lifetime from now.
    let max_exp = now + max + skew;
    if exp > max_exp {
        return Err(AuthFailure::ExpTooFar { exp, max_exp });
    }
    check_time(exp, iat, nbf, now, skew)?;
    check_scope(scope.as_ref(), target)?;
    Ok(Checked { exp, iat, nbf, scope })
}

/// T8, T9 (iat not in the future), T13: the checks that depend on the clock, run on every request.
pub(crate) fn check_time(exp: i64, iat: Option<i64>, nbf: Option<i64>, now: i64, skew: i64) -> Result<(), AuthFailure> {
    if exp <= now - skew {
        return Err(AuthFailure::Expired { exp, now });
    }
    if let Some(iat) = iat
        && iat > now + skew
    {
        return Err(AuthFailure::IatInFuture { iat, now });
    }
    if let Some(nbf) = nbf
        && nbf > now + skew
    {
        return Err(AuthFailure::NotYetValid { nbf, now });
    }
    Ok(())
}

/// T12: a scoped token works only for the requests its scope names.
pub(crate) fn check_scope(scope: Option<&Scope>, target: &RequestTarget<'_>) -> Result<(), AuthFailure> {
    match scope {
        Some(s) if !s.allows(target) => Err(AuthFailure::ScopeNoMatch { request: target.describe() }),
        _ => Ok(()),
    }
}
