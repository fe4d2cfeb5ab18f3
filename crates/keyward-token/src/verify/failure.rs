//! Every way a token can fail (T1–T13). The reason is never sent to a client by default (T14: all
//! 401s look alike); it is recorded against the key and shown to its owners.

use std::fmt;

/// One variant per way a token can fail, carrying the offending values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    // T1
    MissingHeader,
    /// More than one `Authorization` header: which one a proxy behind us reads is not ours to say.
    SeveralHeaders,
    NotBearer,
    EmptyToken,
    // T2
    TooLong {
        bytes: usize,
    },
    NotThreeSegments {
        segments: usize,
    },
    BadBase64 {
        part: &'static str,
    },
    NotJsonObject {
        part: &'static str,
    },
    DuplicateMember {
        part: &'static str,
        name: String,
    },
    // T3
    AlgNotEs256 {
        alg: String,
    },
    KidNotString,
    TypNotJwt {
        typ: String,
    },
    CritPresent,
    // T4
    UnknownKey {
        kid: String,
    },
    AccessNotApproved,
    /// X3: the key's expiry has come.
    KeyExpired {
        at: i64,
    },
    /// X4: the key was rotated out and its grace period has ended.
    KeyRotatedOut {
        at: i64,
    },
    // T5
    DerSignature {
        bytes: usize,
    },
    SignatureLength {
        bytes: usize,
    },
    BadSignature,
    // T6
    AudMissing,
    AudMismatch {
        aud: String,
    },
    // T7
    IssMissing,
    IssMismatch {
        iss: String,
    },
    IssWithIndividualKey,
    SubNotUser {
        sub: String,
    },
    // T8
    ExpMissing,
    Expired {
        exp: i64,
        now: i64,
    },
    // T9
    IatInFuture {
        iat: i64,
        now: i64,
    },
    LifetimeTooLong {
        lifetime: i64,
        max: i64,
    },
    // T10
    ExpTooFar {
        exp: i64,
        max_exp: i64,
    },
    // T12
    ScopeMalformed {
        detail: String,
    },
    ScopeNoMatch {
        request: String,
    },
    // T13
    NotYetValid {
        nbf: i64,
        now: i64,
    },
    /// A numeric claim that is not a number.
    ClaimNotNumber {
        claim: &'static str,
    },
}

impl AuthFailure {
    /// A stable label for metrics (`keyward_auth_failures_total{reason=…}`).
    pub fn label(&self) -> &'static str {
        use AuthFailure::*;
        match self {
            MissingHeader => "missing_header",
            SeveralHeaders => "several_headers",
            NotBearer => "not_bearer",
            EmptyToken => "empty_token",
            TooLong { .. } => "too_long",
            NotThreeSegments { .. } => "not_three_segments",
            BadBase64 { .. } => "bad_base64",
            NotJsonObject { .. } => "not_json_object",
            DuplicateMember { .. } => "duplicate_member",
            AlgNotEs256 { .. } => "alg",
            KidNotString => "kid",
            TypNotJwt { .. } => "typ",
            CritPresent => "crit",
            UnknownKey { .. } => "unknown_key",
            AccessNotApproved => "access_not_approved",
            KeyExpired { .. } => "key_expired",
            KeyRotatedOut { .. } => "key_rotated_out",
            DerSignature { .. } => "der_signature",
            SignatureLength { .. } => "signature_length",
            BadSignature => "bad_signature",
            AudMissing | AudMismatch { .. } => "aud",
            IssMissing | IssMismatch { .. } | IssWithIndividualKey => "iss",
            SubNotUser { .. } => "sub",
            ExpMissing => "exp_missing",
            Expired { .. } => "expired",
            IatInFuture { .. } => "iat_in_future",
            LifetimeTooLong { .. } => "lifetime",
            ExpTooFar { .. } => "exp_too_far",
            ScopeMalformed { .. } => "scope_malformed",
            ScopeNoMatch { .. } => "scope_no_match",
            NotYetValid { .. } => "nbf",
            ClaimNotNumber { .. } => "claim_not_number",
        }
    }

    /// The rule the failure breaks.
    pub fn rule(&self) -> &'static str {
        use AuthFailure::*;
        match self {
            MissingHeader | SeveralHeaders | NotBearer | EmptyToken => "T1",
            TooLong { .. }
            | NotThreeSegments { .. }
            | BadBase64 { .. }
            | NotJsonObject { .. }
            | DuplicateMember { .. } => "T2",
            AlgNotEs256 { .. } | KidNotString | TypNotJwt { .. } | CritPresent => "T3",
            UnknownKey { .. } | AccessNotApproved | KeyExpired { .. } | KeyRotatedOut { .. } => "T4",
            DerSignature { .. } | SignatureLength { .. } | BadSignature => "T5",
            AudMissing | AudMismatch { .. } => "T6",
            IssMissing | IssMismatch { .. } | IssWithIndividualKey | SubNotUser { .. } => "T7",
            ExpMissing | Expired { .. } | ClaimNotNumber { .. } => "T8",
            IatInFuture { .. } | LifetimeTooLong { .. } => "T9",
            ExpTooFar { .. } => "T10",
            ScopeMalformed { .. } | ScopeNoMatch { .. } => "T12",
            NotYetValid { .. } => "T13",
        }
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use AuthFailure::*;
        match self {
            MissingHeader => write!(f, "no Authorization header"),
            SeveralHeaders => write!(f, "more than one Authorization header"),
            NotBearer => write!(f, "the Authorization header does not use the Bearer scheme"),
            EmptyToken => write!(f, "the bearer token is empty"),
            TooLong { bytes } => write!(f, "the token is {bytes} bytes long; at most 8192 are accepted"),
            NotThreeSegments { segments } => write!(f, "the token has {segments} dot-separated segments; a JWT has 3"),
            BadBase64 { part } => write!(f, "the {part} is not unpadded base64url"),
            NotJsonObject { part } => write!(f, "the {part} is not a JSON object"),
            DuplicateMember { part, name } => write!(f, "the {part} has the member \"{name}\" twice"),
            AlgNotEs256 { alg } => write!(f, "alg is {alg}; only ES256 is accepted"),
            KidNotString => write!(f, "the header has no kid string"),
            TypNotJwt { typ } => write!(f, "typ is {typ}; only JWT is accepted"),
            CritPresent => write!(f, "the header has crit, which is not supported"),
            UnknownKey { kid } => write!(f, "no active, downloaded key has the ID {kid}"),
            AccessNotApproved => write!(f, "the team's API access is not approved"),
            KeyExpired { at } => write!(f, "the key expired at {at}"),
            KeyRotatedOut { at } => write!(f, "the key was rotated out; its grace period ended at {at}"),
            DerSignature { bytes } => write!(f, "signature is DER-encoded ({bytes} bytes), expected 64-byte r||s"),
            SignatureLength { bytes } => write!(f, "signature is {bytes} bytes, expected 64-byte r||s"),
            BadSignature => write!(f, "the signature does not verify with the key's public key"),
            AudMissing => write!(f, "aud is missing"),
            AudMismatch { aud } => write!(f, "aud is {aud}; expected appstoreconnect-v1"),
            IssMissing => write!(f, "iss is missing; team keys must send the team's Issuer ID"),
            IssMismatch { iss } => write!(f, "iss {iss} is not the Issuer ID of the key's team"),
            IssWithIndividualKey => {
                write!(f, "iss sent with an individual key; individual keys send sub \"user\" and no iss")
            }
            SubNotUser { sub } => write!(f, "sub is {sub}; individual keys must send sub \"user\""),
            ExpMissing => write!(f, "exp is missing"),
            Expired { exp, now } => write!(f, "the token expired at {exp} (now {now})"),
            IatInFuture { iat, now } => write!(f, "iat {iat} is in the future (now {now})"),
            LifetimeTooLong { lifetime, max } => write!(f, "lifetime {lifetime} s exceeds {max} s"),
            ExpTooFar { exp, max_exp } => {
                write!(f, "exp {exp} is beyond the longest lifetime allowed (at most {max_exp})")
            }
            ScopeMalformed { detail } => write!(f, "scope is malformed: {detail}"),
            ScopeNoMatch { request } => write!(f, "scope does not allow {request}"),
            NotYetValid { nbf, now } => write!(f, "nbf {nbf} is in the future (now {now})"),
            ClaimNotNumber { claim } => write!(f, "{claim} is not a number"),
        }
    }
}
