pub(crate) mod health;
