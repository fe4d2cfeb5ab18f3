//! SELECT heads shared by several queries, as macros so each query stays one `&'static str`.

/// `select_team!("WHERE …")`.
macro_rules! select_team {
    ($tail:literal) => {
        concat!(
            "SELECT id, issuer_id, name, access_state, rate_limit_per_hour, max_key_lifetime_days, created_at FROM teams ",
            $tail
        )
    };
}

/// `select_member!("WHERE …")`: member columns joined with the person's email and names.
macro_rules! select_member {
    ($tail:literal) => {
        concat!(
            "SELECT m.id, m.team_id, m.person_id, p.email, p.first_name, p.last_name, m.roles, ",
            "m.all_apps_visible, m.provisioning_allowed, m.individual_keys_explicit, m.created_at ",
            "FROM members m JOIN persons p ON p.id = m.person_id ",
            $tail
        )
    };
}

/// `select_key!("WHERE …")`.
macro_rules! select_key {
    ($tail:literal) => {
        concat!(
            "SELECT id, team_id, kind, name, roles, member_id, created_by_member, created_by_label, ",
            "created_at, downloaded_at, revoked_at, revoked_by_label, last_used_at, expires_at, revoke_at, replaces, ",
            "uploaded, key_manager, created_by_key FROM api_keys ",
            $tail
        )
    };
}

/// `select_app!("WHERE …")`.
macro_rules! select_app {
    ($tail:literal) => {
        concat!(
            "SELECT id, team_id, name, bundle_id, sku, primary_locale, is_or_ever_was_made_for_kids, ",
            "subscription_status_url, subscription_status_url_version, subscription_status_url_for_sandbox, ",
            "subscription_status_url_version_for_sandbox, available_in_new_territories, content_rights_declaration, ",
            "streamlined_purchasing_enabled, created_at FROM apps ",
            $tail
        )
    };
}

/// A query assembled from our own fragments (never from client text) with numbered `$n`
/// parameters, for lists whose filters and sort vary per request.
#[derive(Debug, Default)]
pub(crate) struct Dynamic {
    pub text: String,
    args: Vec<Arg>,
}

#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    Int(i64),
}

impl Dynamic {
    pub fn new(head: &str) -> Self {
        Dynamic { text: head.to_owned(), args: Vec::new() }
    }

    pub fn push(&mut self, fragment: &str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    /// Appends a placeholder for a text value.
    pub fn text(&mut self, value: impl Into<String>) -> &mut Self {
        self.args.push(Arg::Text(value.into()));
        let n = self.args.len();
        self.text.push_str(&format!("${n}"));
        self
    }

    pub fn int(&mut self, value: i64) -> &mut Self {
        self.args.push(Arg::Int(value));
        let n = self.args.len();
        self.text.push_str(&format!("${n}"));
        self
    }

    /// `(a, b, c)` of text placeholders.
    pub fn text_list<S: AsRef<str>>(&mut self, values: &[S]) -> &mut Self {
        self.push("(");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.text(v.as_ref());
        }
        self.push(")")
    }

    pub fn int_list(&mut self, values: &[i64]) -> &mut Self {
        self.push("(");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.int(*v);
        }
        self.push(")")
    }

    pub fn query(&self) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(n) => q.bind(*n),
            };
        }
        q
    }
}
