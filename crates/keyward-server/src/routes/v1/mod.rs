pub(crate) mod apps;
