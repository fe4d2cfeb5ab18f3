//! Keyset paging: a page is "the next `limit` items after this one", whatever the list's length,
//! so the cost of a page does not grow with its position (no OFFSET scans).

/// Where the previous page ended: the last item's sort value and ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyset {
    pub value: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest<S> {
    pub sort: S,
    pub descending: bool,
    pub after: Option<Keyset>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Matching items in all pages.
    pub total: u64,
    /// Present when more items follow.
    pub next: Option<Keyset>,
}

/// Sorts of `GET /v1/users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    Username,
    LastName,
}

/// Sorts of `GET /v1/apps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppSort {
    Name,
    BundleId,
    Sku,
}

/// Sorts of `GET /v1/userInvitations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationSort {
    Email,
    LastName,
}

/// Filters of `GET /v1/users` (each: any of the values).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFilter {
    pub roles: Vec<crate::role::Role>,
    pub usernames: Vec<String>,
    pub visible_apps: Vec<crate::ids::AppId>,
}

/// Filters of `GET /v1/apps`, plus A4: the apps an individual key may see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppFilter {
    pub ids: Vec<crate::ids::AppId>,
    pub names: Vec<String>,
    pub bundle_ids: Vec<String>,
    pub skus: Vec<String>,
    /// `Some`: only these apps are visible (an individual key's member without all apps).
    pub visible_to: Option<Vec<crate::ids::AppId>>,
}

/// Filters of `GET /v1/userInvitations`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvitationFilter {
    pub emails: Vec<String>,
    pub roles: Vec<crate::role::Role>,
    pub visible_apps: Vec<crate::ids::AppId>,
}
