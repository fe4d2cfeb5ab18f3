//! Where header fields go as the gateway writes them: a `HeaderMap` for hyper's path, HTTP/1.1
//! bytes for the fast path ([`super::wire`]). The header rules ([`super::headers`], and the
//! identity of [`super::identity`]) write through [`Sink`], so they exist once for both.

use std::fmt::Write as _;

use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// Where the fields a rule lets through, or writes, go.
pub(crate) trait Sink {
    fn field(&mut self, name: &HeaderName, value: &HeaderValue);
    /// A field whose value Keyward formats; one that would not be a valid field value is left out.
    fn text(&mut self, name: &HeaderName, value: std::fmt::Arguments<'_>);
}

impl Sink for HeaderMap {
    fn field(&mut self, name: &HeaderName, value: &HeaderValue) {
        self.append(name.clone(), value.clone());
    }

    fn text(&mut self, name: &HeaderName, value: std::fmt::Arguments<'_>) {
        if let Ok(v) = HeaderValue::try_from(value.to_string()) {
            self.append(name.clone(), v);
        }
    }
}

/// Fields written as HTTP/1.1 bytes, `name: value` and CRLF each (the fast path).
pub(crate) struct Wire<'a>(pub &'a mut Vec<u8>);

impl Sink for Wire<'_> {
    fn field(&mut self, name: &HeaderName, value: &HeaderValue) {
        self.raw(name.as_str(), value.as_bytes());
    }

    fn text(&mut self, name: &HeaderName, value: std::fmt::Arguments<'_>) {
        let start = self.0.len();
        self.0.extend_from_slice(name.as_str().as_bytes());
        self.0.extend_from_slice(b": ");
        let value_start = self.0.len();
        let mut text = Appender(self.0);
        let written = text.write_fmt(value).is_ok();
        // The rule `HeaderValue` keeps (so both sinks write the same): no control character but
        // the tab, nothing that ends a line.
        if !written || !self.0[value_start..].iter().all(|b| *b == b'\t' || (*b >= b' ' && *b != 0x7f)) {
            self.0.truncate(start);
            return;
        }
        self.0.extend_from_slice(b"\r\n");
    }
}

impl Wire<'_> {
    /// A field already valid (from a parsed head or a `HeaderValue`).
    pub(crate) fn raw(&mut self, name: &str, value: &[u8]) {
        self.0.extend_from_slice(name.as_bytes());
        self.0.extend_from_slice(b": ");
        self.0.extend_from_slice(value);
        self.0.extend_from_slice(b"\r\n");
    }
}

/// `write!` into bytes.
pub(crate) struct Appender<'a>(pub &'a mut Vec<u8>);

impl std::fmt::Write for Appender<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}
