//! API access for a team (K1–K2): requested by the Account Holder, reviewed by an operator.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::role::{Role, RoleSet};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessState {
    NotRequested,
    Requested,
    Approved,
    Rejected,
}

impl AccessState {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessState::NotRequested => "not_requested",
            AccessState::Requested => "requested",
            AccessState::Approved => "approved",
            AccessState::Rejected => "rejected",
        }
    }
}

impl fmt::Display for AccessState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccessState {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [AccessState::NotRequested, AccessState::Requested, AccessState::Approved, AccessState::Rejected]
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| DomainError::InvalidInput(format!("'{s}' is not an API access state")))
    }
}

/// K1: the Account Holder requests access (accepting the terms). A first request, or a new one after
/// a rejection, is allowed; with `auto_approve` (K2) the request is approved at once.
pub fn request_access(requester: RoleSet, state: AccessState, auto_approve: bool) -> Result<AccessState, DomainError> {
    if !requester.contains(Role::AccountHolder) {
        return Err(DomainError::NotAccountHolder);
    }
    match state {
        AccessState::NotRequested | AccessState::Rejected => {
            Ok(if auto_approve { AccessState::Approved } else { AccessState::Requested })
        }
        AccessState::Requested => Err(DomainError::AccessState("requested", "it is awaiting review")),
        AccessState::Approved => Err(DomainError::AccessState("approved", "there is nothing to request")),
    }
}

/// K2: an operator approves or rejects a pending request.
pub fn review_access(state: AccessState, approve: bool) -> Result<AccessState, DomainError> {
    match state {
        AccessState::Requested => Ok(if approve { AccessState::Approved } else { AccessState::Rejected }),
        AccessState::NotRequested => {
            Err(DomainError::AccessState("not requested", "the Account Holder must request it first"))
        }
        AccessState::Approved => Err(DomainError::AccessState("already approved", "there is nothing to review")),
        AccessState::Rejected => Err(DomainError::AccessState("rejected", "the Account Holder may request it again")),
    }
}

/// K1: until access is approved no key can be generated (and no token is accepted).
pub fn ensure_approved(state: AccessState) -> Result<(), DomainError> {
    if state == AccessState::Approved { Ok(()) } else { Err(DomainError::AccessNotApproved) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder() -> RoleSet {
        RoleSet::of(&[Role::AccountHolder])
    }

    #[test]
    fn k1_account_holder_may_request_access() {
        assert_eq!(request_access(holder(), AccessState::NotRequested, false), Ok(AccessState::Requested));
        assert_eq!(request_access(holder(), AccessState::Rejected, false), Ok(AccessState::Requested));
    }

    #[test]
    fn k1_only_the_account_holder_may_request_access() {
        let admin = RoleSet::of(&[Role::Admin]);
        assert_eq!(request_access(admin, AccessState::NotRequested, false), Err(DomainError::NotAccountHolder));
        assert!(request_access(holder(), AccessState::Requested, false).is_err());
        assert!(request_access(holder(), AccessState::Approved, false).is_err());
    }

    #[test]
    fn k1_no_key_before_approval() {
        assert!(ensure_approved(AccessState::Approved).is_ok());
        for s in [AccessState::NotRequested, AccessState::Requested, AccessState::Rejected] {
            assert_eq!(ensure_approved(s), Err(DomainError::AccessNotApproved));
        }
    }

    #[test]
    fn k2_operator_approves_or_rejects_a_pending_request() {
        assert_eq!(review_access(AccessState::Requested, true), Ok(AccessState::Approved));
        assert_eq!(review_access(AccessState::Requested, false), Ok(AccessState::Rejected));
    }

    #[test]
    fn k2_only_pending_requests_can_be_reviewed() {
        for s in [AccessState::NotRequested, AccessState::Approved, AccessState::Rejected] {
            assert!(review_access(s, true).is_err(), "{s}");
        }
    }

    #[test]
    fn k2_auto_approve_approves_at_once_and_rejection_allows_a_new_request() {
        assert_eq!(request_access(holder(), AccessState::NotRequested, true), Ok(AccessState::Approved));
        let rejected = review_access(AccessState::Requested, false).expect("reviewable");
        assert_eq!(request_access(holder(), rejected, false), Ok(AccessState::Requested));
    }
}
