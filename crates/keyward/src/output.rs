//! Printing results: JSON (one object, or one per line for lists) for scripts, plain text for people.

use serde_json::Value;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// One result: the JSON object, or the human text.
    pub fn one(&self, value: &Value, human: impl FnOnce() -> String) {
        if self.json {
            println!("{value}");
        } else {
            println!("{}", human());
        }
    }

    /// A list: JSON Lines, or a table with a header row.
    pub fn list(&self, values: &[Value], header: &[&str], row: impl Fn(&Value) -> Vec<String>) {
        if self.json {
            for v in values {
                println!("{v}");
            }
            return;
        }
        let rows: Vec<Vec<String>> = values.iter().map(&row).collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for r in &rows {
            for (i, cell) in r.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<width$}", width = widths.get(i).copied().unwrap_or(0)))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        println!("{}", line(header.iter().map(|h| (*h).to_owned()).collect()));
        for r in rows {
            println!("{}", line(r));
        }
        if values.is_empty() {
            println!("(none)");
        }
    }
}

/// RFC 3339 with a numeric offset and no fraction, as Apple prints date-times.
pub fn timestamp(t: time::OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    t.format(&fmt).unwrap_or_default()
}

pub fn opt_timestamp(t: Option<time::OffsetDateTime>) -> Value {
    t.map(|t| Value::String(timestamp(t))).unwrap_or(Value::Null)
}

/// For human tables.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Prints a line for whoever started a long-running command, ignoring a closed stdout: a server
/// keeps serving when the terminal or pipe that launched it has stopped reading.
pub fn announce(text: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}
