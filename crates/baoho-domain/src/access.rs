//! Who may do what to a person's data: the policy every handle in the store asks.
//!
//! Pure rules, no I/O. The store issues scoped handles for an identity (a [`Principal`]); each read or write
//! of a person asks [`decide`], and a `Deny` is answered exactly like a missing record (404)
//! and written to the audit trail as "denied".

use serde::{Deserialize, Serialize};

/// A staff role. One account has one role at one agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Consular officer at a mission: the persons and cases of its jurisdiction.
    MissionOfficer,
    /// Consular officer at headquarters: every mission's persons and cases.
    HqOfficer,
    /// Head of mission or of the steering committee: sees the picture, approves.
    HeadOfMission,
    /// A partner ministry's liaison (police, defence, province): only what was referred to it.
    PartnerLiaison,
    /// Statistics only; never an individual's file.
    Analyst,
    /// Manages accounts, missions and settings; never reads case contents by virtue of the role.
    Administrator,
    /// Reads the audit trail; never case contents.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::MissionOfficer,
        Role::HqOfficer,
        Role::HeadOfMission,
        Role::PartnerLiaison,
        Role::Analyst,
        Role::Administrator,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::MissionOfficer => "mission_officer",
            Role::HqOfficer => "hq_officer",
            Role::HeadOfMission => "head_of_mission",
            Role::PartnerLiaison => "partner_liaison",
            Role::Analyst => "analyst",
            Role::Administrator => "administrator",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The kind of agency an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    /// Headquarters: the Consular Department of the Ministry of Foreign Affairs.
    ConsularDepartment,
    /// An embassy, consulate or permanent mission abroad.
    Mission,
    /// Ministry of Public Security (police, immigration, border gates).
    PublicSecurity,
    /// Ministry of National Defence (border guard, evacuation transport).
    NationalDefence,
    /// A province's people's committee or department.
    Province,
}

/// An agency: its kind and its code (a mission code, a province code, `MPS`, `MND`, `CD`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Agency {
    pub kind: AgencyKind,
    pub code: String,
}

/// Restricted categories: visible only on explicit assignment or break-glass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Restricted {
    Trafficking,
    Minor,
    GenderBasedViolence,
}

/// What the policy knows of who is asking. The store's handles take it inside the store's
/// `Identity`, which only the session layer can issue (from a stored account), never from
/// request input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub account_id: String,
    pub role: Role,
    pub agency: Agency,
    /// For a mission: the countries in its consular jurisdiction (ISO alpha-2).
    pub jurisdiction: Vec<String>,
}

/// What a person's record is attached to, as far as the policy needs to know.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Missions responsible for the person (through their cases or registration).
    pub missions: Vec<String>,
    /// Countries where the person is (or their cases are), ISO alpha-2.
    pub countries: Vec<String>,
    /// Partner agencies (codes) the person was referred to by the old person-level referral.
    /// It grants nothing any more: partners read only referral snapshots (ADR 0019).
    pub referred_to: Vec<String>,
    /// Restricted categories that apply.
    pub restricted: Vec<Restricted>,
    /// Accounts explicitly assigned (case officers, supervisors).
    pub assigned: Vec<String>,
}

/// What the identity wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    Read,
    Create,
    Edit,
    Search,
    Export,
}

impl Verb {
    pub const ALL: [Verb; 5] = [
        Verb::Read,
        Verb::Create,
        Verb::Edit,
        Verb::Search,
        Verb::Export,
    ];
}

/// Why access was refused (recorded in the audit trail; never shown to the caller, who only
/// sees "not found").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// The role never reads individual files (administrator, auditor, analyst).
    RoleHasNoCaseAccess,
    /// Outside the mission's jurisdiction.
    OutsideJurisdiction,
    /// A partner liaison reads only the snapshots referred to its agency (in its inbox),
    /// never a live record.
    SnapshotOnly,
    /// A restricted category without assignment (break-glass possible).
    RestrictedNeedsAssignment,
    /// The role may read but not do this.
    VerbNotAllowed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Allow,
    Deny(DenyReason),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// A break-glass grant: a written reason, given by the officer, that lets them past the
/// restricted-category rule once; the supervisor is notified at once (by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakGlass<'a> {
    pub reason: &'a str,
}

impl BreakGlass<'_> {
    /// A reason must say something: at least 15 characters of words.
    pub fn is_valid(&self) -> bool {
        self.reason
            .split_whitespace()
            .collect::<String>()
            .chars()
            .count()
            >= 15
    }
}

/// The policy. `break_glass` only ever lifts the restricted-category rule, never scope.
pub fn decide(
    who: &Principal,
    verb: Verb,
    scope: &Scope,
    break_glass: Option<&BreakGlass<'_>>,
) -> Decision {
    use Decision::{Allow, Deny};
    let in_scope = match who.role {
        Role::Administrator | Role::Auditor | Role::Analyst => {
            return Deny(DenyReason::RoleHasNoCaseAccess);
        }
        Role::HqOfficer => who.agency.kind == AgencyKind::ConsularDepartment,
        Role::HeadOfMission if who.agency.kind == AgencyKind::ConsularDepartment => true,
        Role::MissionOfficer | Role::HeadOfMission => {
            who.agency.kind == AgencyKind::Mission
                && (scope.missions.contains(&who.agency.code)
                    || scope
                        .countries
                        .iter()
                        .any(|c| who.jurisdiction.iter().any(|j| j == c)))
        }
        // A partner reads only the snapshots referred to it, through its inbox (ADR 0019):
        // never a person's or a case's live record, whatever was referred.
        Role::PartnerLiaison => return Deny(DenyReason::SnapshotOnly),
    };
    if !in_scope {
        return Deny(DenyReason::OutsideJurisdiction);
    }
    let assigned = scope.assigned.contains(&who.account_id);
    if !scope.restricted.is_empty() && !assigned {
        let glass = break_glass.is_some_and(BreakGlass::is_valid);
        // Search results may list that a restricted person exists in scope only for HQ
        // and assigned officers; break-glass is per record, never for export or search.
        if !(glass && matches!(verb, Verb::Read | Verb::Edit)) {
            return Deny(DenyReason::RestrictedNeedsAssignment);
        }
    }
    if verb == Verb::Export
        && !matches!(
            who.role,
            Role::HqOfficer | Role::HeadOfMission | Role::MissionOfficer
        )
    {
        return Deny(DenyReason::VerbNotAllowed);
    }
    Allow
}

/// Why lifting a restriction was refused (shown to the caller, who can see the record: the
/// refusal hides nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiftRefusal {
    /// Only a supervisor lifts a restriction: the head of the record's mission, or the head at
    /// headquarters. Editors may add a restriction, never remove one.
    NotSupervisor,
    /// A break-glass grant opens a record for a reason; it never makes it less restricted.
    BreakGlass,
    /// The reason must say something: at least 15 characters of words, as for break-glass.
    ReasonTooShort,
}

/// A written reason for lifting a restriction, checked like a break-glass reason.
pub const LIFT_REASON_MIN: usize = 15;

/// The restricted categories `old` has and `new` no longer has: what an edit would lift.
pub fn lifted(old: &[Restricted], new: &[Restricted]) -> Vec<Restricted> {
    old.iter().filter(|r| !new.contains(r)).copied().collect()
}

/// May `who` make a record with `scope` less restricted? A supervisor (head of mission in
/// the record's scope, or the head at headquarters) who reaches the record without
/// break-glass (`via_break_glass` says how it was opened), with a written reason. Adding a
/// restriction is an ordinary edit ([`decide`] with [`Verb::Edit`]).
pub fn may_lift_restriction(
    who: &Principal,
    scope: &Scope,
    via_break_glass: bool,
    reason: &str,
) -> Result<(), LiftRefusal> {
    if who.role != Role::HeadOfMission {
        return Err(LiftRefusal::NotSupervisor);
    }
    if via_break_glass {
        return Err(LiftRefusal::BreakGlass);
    }
    match decide(who, Verb::Edit, scope, None) {
        Decision::Allow => {}
        Decision::Deny(DenyReason::RestrictedNeedsAssignment) => {
            return Err(LiftRefusal::BreakGlass);
        }
        Decision::Deny(_) => return Err(LiftRefusal::NotSupervisor),
    }
    let words: usize = reason.split_whitespace().map(|w| w.chars().count()).sum();
    if words < LIFT_REASON_MIN {
        return Err(LiftRefusal::ReasonTooShort);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mission_officer(code: &str, juris: &[&str]) -> Principal {
        Principal {
            account_id: format!("acc-{code}"),
            role: Role::MissionOfficer,
            agency: Agency {
                kind: AgencyKind::Mission,
                code: code.into(),
            },
            jurisdiction: juris.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn hq(role: Role) -> Principal {
        Principal {
            account_id: format!("acc-hq-{}", role.as_str()),
            role,
            agency: Agency {
                kind: AgencyKind::ConsularDepartment,
                code: "CD".into(),
            },
            jurisdiction: vec![],
        }
    }

    fn police() -> Principal {
        Principal {
            account_id: "acc-mps".into(),
            role: Role::PartnerLiaison,
            agency: Agency {
                kind: AgencyKind::PublicSecurity,
                code: "MPS".into(),
            },
            jurisdiction: vec![],
        }
    }

    fn in_japan() -> Scope {
        Scope {
            missions: vec!["EMB-JP-TOKYO".into()],
            countries: vec!["JP".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_mission_sees_its_own_jurisdiction_only() {
        let tokyo = mission_officer("EMB-JP-TOKYO", &["JP"]);
        let phnom_penh = mission_officer("EMB-KH-PHNOMPENH", &["KH"]);
        for v in Verb::ALL {
            assert_eq!(
                decide(&tokyo, v, &in_japan(), None),
                Decision::Allow,
                "{v:?}"
            );
            assert_eq!(
                decide(&phnom_penh, v, &in_japan(), None),
                Decision::Deny(DenyReason::OutsideJurisdiction),
                "{v:?}"
            );
        }
        // A person in Japan handled by the Osaka consulate is still in Japan.
        let osaka_case = Scope {
            missions: vec!["CG-JP-OSAKA".into()],
            countries: vec!["JP".into()],
            ..Default::default()
        };
        assert!(decide(&tokyo, Verb::Read, &osaka_case, None).is_allowed());
    }

    #[test]
    fn hq_sees_all_but_not_restricted_without_assignment() {
        let officer = hq(Role::HqOfficer);
        assert!(decide(&officer, Verb::Read, &in_japan(), None).is_allowed());
        let mut victim = in_japan();
        victim.restricted = vec![Restricted::Trafficking];
        assert_eq!(
            decide(&officer, Verb::Read, &victim, None),
            Decision::Deny(DenyReason::RestrictedNeedsAssignment)
        );
        victim.assigned = vec![officer.account_id.clone()];
        assert!(decide(&officer, Verb::Read, &victim, None).is_allowed());
    }

    #[test]
    fn break_glass_needs_a_real_reason_and_never_widens_scope() {
        let tokyo = mission_officer("EMB-JP-TOKYO", &["JP"]);
        let mut minor = in_japan();
        minor.restricted = vec![Restricted::Minor];
        let short = BreakGlass { reason: "urgent" };
        let real = BreakGlass {
            reason: "Child in hospital, parents unreachable, need contact details",
        };
        assert!(!decide(&tokyo, Verb::Read, &minor, Some(&short)).is_allowed());
        assert!(decide(&tokyo, Verb::Read, &minor, Some(&real)).is_allowed());
        assert!(
            !decide(&tokyo, Verb::Export, &minor, Some(&real)).is_allowed(),
            "no break-glass export"
        );
        let elsewhere = mission_officer("EMB-KH-PHNOMPENH", &["KH"]);
        assert_eq!(
            decide(&elsewhere, Verb::Read, &minor, Some(&real)),
            Decision::Deny(DenyReason::OutsideJurisdiction)
        );
    }

    #[test]
    fn partners_never_reach_a_live_record_even_referred() {
        let p = police();
        let mut referred = in_japan();
        referred.referred_to = vec!["MPS".into()];
        for scope in [in_japan(), referred] {
            for v in Verb::ALL {
                assert_eq!(
                    decide(&p, v, &scope, None),
                    Decision::Deny(DenyReason::SnapshotOnly),
                    "{v:?}"
                );
            }
        }
    }

    #[test]
    fn administrators_auditors_and_analysts_read_no_files() {
        for role in [Role::Administrator, Role::Auditor, Role::Analyst] {
            let who = hq(role);
            for v in Verb::ALL {
                assert_eq!(
                    decide(&who, v, &in_japan(), None),
                    Decision::Deny(DenyReason::RoleHasNoCaseAccess),
                    "{role:?} {v:?}"
                );
            }
        }
    }

    fn head(kind: AgencyKind, code: &str) -> Principal {
        Principal {
            account_id: format!("acc-head-{code}"),
            role: Role::HeadOfMission,
            agency: Agency {
                kind,
                code: code.into(),
            },
            jurisdiction: vec!["JP".into()],
        }
    }

    const LIFT_REASON: &str = "Age verified from the birth certificate: adult";

    #[test]
    fn only_a_supervisor_lifts_a_restriction_with_a_reason() {
        let mut minor = in_japan();
        minor.restricted = vec![Restricted::Minor];
        let tokyo = mission_officer("EMB-JP-TOKYO", &["JP"]);
        let head = head(AgencyKind::Mission, "EMB-JP-TOKYO");
        let hq_head = self::head(AgencyKind::ConsularDepartment, "CD");
        // Assigned editors may edit the record, and still may not lift its restriction.
        for who in [&tokyo, &hq(Role::HqOfficer), &police()] {
            minor.assigned = vec![who.account_id.clone()];
            assert_eq!(
                may_lift_restriction(who, &minor, false, LIFT_REASON),
                Err(LiftRefusal::NotSupervisor),
                "{:?}",
                who.role
            );
        }
        for who in [&head, &hq_head] {
            minor.assigned = vec![who.account_id.clone()];
            assert_eq!(
                may_lift_restriction(who, &minor, false, LIFT_REASON),
                Ok(())
            );
            assert_eq!(
                may_lift_restriction(who, &minor, false, "   adult now   "),
                Err(LiftRefusal::ReasonTooShort)
            );
            assert_eq!(
                may_lift_restriction(who, &minor, true, LIFT_REASON),
                Err(LiftRefusal::BreakGlass),
                "a break-glass grant never lifts"
            );
        }
        // A supervisor not assigned could only be there by break-glass; one outside the
        // record's scope not at all.
        minor.assigned = vec![];
        assert_eq!(
            may_lift_restriction(&head, &minor, false, LIFT_REASON),
            Err(LiftRefusal::BreakGlass)
        );
        let mut seoul = self::head(AgencyKind::Mission, "EMB-KR-SEOUL");
        seoul.jurisdiction = vec!["KR".into()];
        minor.assigned = vec![seoul.account_id.clone()];
        assert_eq!(
            may_lift_restriction(&seoul, &minor, false, LIFT_REASON),
            Err(LiftRefusal::NotSupervisor)
        );
    }

    #[test]
    fn lifted_names_what_an_edit_removes() {
        use Restricted::*;
        assert_eq!(lifted(&[Trafficking, Minor], &[Minor]), vec![Trafficking]);
        assert!(lifted(&[Minor], &[Minor, GenderBasedViolence]).is_empty());
        assert!(lifted(&[], &[Minor]).is_empty());
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
