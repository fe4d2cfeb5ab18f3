pub(crate) mod fallback;
pub(crate) mod health;
pub(crate) mod uploads;
pub(crate) mod v1;
