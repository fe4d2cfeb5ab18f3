//! What every signed-in page shows around its content: who is signed in, the CSRF token of the
//! session's forms, the operator link, and for team pages the team's name, Issuer ID and whether
//! the person manages it (Account Holder or Admin).

use keyward_core::member::Member;
use keyward_core::role::{Role, RoleSet};
use keyward_core::team::Team;

use super::session::Session;

#[derive(Clone, Default)]
pub(crate) struct Chrome {
    pub email: String,
    pub csrf: String,
    pub operator: bool,
    pub team: String,
    pub issuer_id: String,
    pub can_manage: bool,
    /// Other teams of the person (name, Issuer ID): the team switcher.
    pub other_teams: Vec<(String, String)>,
}

/// The CSRF token stays out of logs.
impl std::fmt::Debug for Chrome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chrome").field("email", &self.email).field("team", &self.team).finish_non_exhaustive()
    }
}

impl Chrome {
    pub fn of(session: &Session) -> Chrome {
        Chrome {
            email: session.person.email.clone(),
            csrf: session.csrf.clone(),
            operator: session.person.is_operator,
            ..Chrome::default()
        }
    }

    pub fn for_team(session: &Session, team: &Team, me: &Member) -> Chrome {
        Chrome {
            team: team.name.clone(),
            issuer_id: team.issuer_id.to_string(),
            can_manage: manages(me),
            other_teams: session.other_teams.clone(),
            ..Chrome::of(session)
        }
    }
}

/// The Account Holder and Admins manage a team's users, keys and audit log.
pub(crate) fn manages(member: &Member) -> bool {
    member.roles.intersects(RoleSet::of(&[Role::AccountHolder, Role::Admin]))
}
