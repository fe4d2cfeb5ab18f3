pub(crate) mod fallback;
pub(crate) mod health;
pub(crate) mod keyward_v1;
pub(crate) mod uploads;
pub(crate) mod v1;
