//! XML property lists, the format of a provisioning profile's payload (Apple's DTD 1.0). Only
//! what profiles hold: strings, integers, booleans, dates, data, arrays and dictionaries, the
//! last in the order given (Apple writes keys sorted; callers do too).

use base64::Engine;

#[derive(Debug, Clone, PartialEq)]
pub enum Plist {
    String(String),
    Integer(i64),
    Bool(bool),
    /// ISO 8601 in UTC, `2026-12-06T10:00:00Z`.
    Date(String),
    Data(Vec<u8>),
    Array(Vec<Plist>),
    Dict(Vec<(String, Plist)>),
}

/// Text as XML character data: markup escaped, and characters XML 1.0 cannot carry (controls
/// other than tab and line breaks) replaced, so a profile always parses.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && !matches!(c, '\t' | '\n' | '\r') { '\u{FFFD}' } else { c })
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn write(value: &Plist, indent: usize, out: &mut String) {
    let pad = "\t".repeat(indent);
    match value {
        Plist::String(s) => out.push_str(&format!("{pad}<string>{}</string>\n", escape(s))),
        Plist::Integer(n) => out.push_str(&format!("{pad}<integer>{n}</integer>\n")),
        Plist::Bool(true) => out.push_str(&format!("{pad}<true/>\n")),
        Plist::Bool(false) => out.push_str(&format!("{pad}<false/>\n")),
        Plist::Date(d) => out.push_str(&format!("{pad}<date>{}</date>\n", escape(d))),
        Plist::Data(bytes) => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            out.push_str(&format!("{pad}<data>{b64}</data>\n"));
        }
        Plist::Array(items) => {
            out.push_str(&format!("{pad}<array>\n"));
            for item in items {
                write(item, indent + 1, out);
            }
            out.push_str(&format!("{pad}</array>\n"));
        }
        Plist::Dict(entries) => {
            out.push_str(&format!("{pad}<dict>\n"));
            for (key, item) in entries {
                out.push_str(&format!("{pad}\t<key>{}</key>\n", escape(key)));
                write(item, indent + 1, out);
            }
            out.push_str(&format!("{pad}</dict>\n"));
        }
    }
}

/// The whole document, with Apple's XML declaration and DOCTYPE.
pub fn to_xml(root: &Plist) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n",
    );
    write(root, 0, &mut out);
    out.push_str("</plist>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f1_values_are_written_as_apples_dtd_spells_them_and_text_is_escaped() {
        let doc = Plist::Dict(vec![
            ("Name".into(), Plist::String("a <b> & c".into())),
            ("TimeToLive".into(), Plist::Integer(365)),
            ("Devices".into(), Plist::Array(vec![Plist::String("X".into())])),
            ("Data".into(), Plist::Data(vec![1, 2, 3])),
            ("On".into(), Plist::Bool(true)),
        ]);
        let xml = to_xml(&doc);
        assert!(xml.contains("<string>a &lt;b&gt; &amp; c</string>"), "{xml}");
        assert!(xml.contains("<integer>365</integer>"));
        assert!(xml.contains("<data>AQID</data>"));
        assert!(xml.contains("<true/>"));
        assert!(to_xml(&Plist::String("a\u{1}b".into())).contains("<string>a\u{FFFD}b</string>"));
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist"));
    }
}
