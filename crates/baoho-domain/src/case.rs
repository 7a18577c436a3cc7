//! Protection cases: types (as data), priorities, the workflow, deadlines and escalation.
//!
//! Pure rules. Time is always passed in, so deadlines and escalation are tested without
//! waiting.

use crate::access::Restricted;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use utoipa::ToSchema;

/// How urgent a case is; decides its deadline.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Urgent,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Where a case is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Assessed,
    InProgress,
    AwaitingPartner,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::New,
        Status::Assessed,
        Status::InProgress,
        Status::AwaitingPartner,
        Status::Resolved,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Assessed => "assessed",
            Status::InProgress => "in_progress",
            Status::AwaitingPartner => "awaiting_partner",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Open cases count against deadlines.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed)
    }

    /// The officer's own moves. Closing needs a supervisor ([`may_approve_close`]);
    /// reopening needs a reason.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::New => &[Status::Assessed, Status::InProgress],
            Status::Assessed => &[
                Status::InProgress,
                Status::AwaitingPartner,
                Status::Resolved,
            ],
            Status::InProgress => &[Status::AwaitingPartner, Status::Resolved],
            Status::AwaitingPartner => &[Status::InProgress, Status::Resolved],
            Status::Resolved => &[Status::InProgress],
            Status::Closed => &[],
        }
    }
}

/// Why a status change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("this status change is not allowed")]
    NotAllowed,
    #[error("closing needs a supervisor's approval")]
    NeedsApproval,
    #[error("reopening needs a reason")]
    NeedsReason,
}

/// Check a status change. `Closed` is reached only by [`Status::Resolved`] → approval;
/// `Closed` → `InProgress` is a reopening and needs a reason.
pub fn check_transition(from: Status, to: Status, reason: &str) -> Result<(), TransitionError> {
    if to == Status::Closed {
        return Err(TransitionError::NeedsApproval);
    }
    if from == Status::Closed && to == Status::InProgress {
        return if reason
            .split_whitespace()
            .collect::<String>()
            .chars()
            .count()
            >= 10
        {
            Ok(())
        } else {
            Err(TransitionError::NeedsReason)
        };
    }
    if from.next().contains(&to) {
        Ok(())
    } else {
        Err(TransitionError::NotAllowed)
    }
}

/// Red, amber or green against the deadline.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Rag {
    /// Overdue.
    Red,
    /// Three quarters of the time used.
    Amber,
    Green,
}

impl Rag {
    pub fn as_str(self) -> &'static str {
        match self {
            Rag::Red => "red",
            Rag::Amber => "amber",
            Rag::Green => "green",
        }
    }
}

pub fn rag(opened: DateTime<Utc>, due: DateTime<Utc>, now: DateTime<Utc>) -> Rag {
    if now >= due {
        Rag::Red
    } else if (now - opened) * 4 >= (due - opened) * 3 {
        Rag::Amber
    } else {
        Rag::Green
    }
}

/// Who an overdue case is escalated to, step by step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// Within its deadline: the lead officer.
    Officer,
    /// Overdue: the head of the consular section (the lead's supervisor).
    Section,
    /// Overdue by half its allowed time again: the head of mission.
    Mission,
    /// Overdue by its whole allowed time again: headquarters.
    Headquarters,
}

impl Escalation {
    pub fn level(self) -> i64 {
        match self {
            Escalation::Officer => 0,
            Escalation::Section => 1,
            Escalation::Mission => 2,
            Escalation::Headquarters => 3,
        }
    }

    pub fn from_level(l: i64) -> Escalation {
        match l {
            i64::MIN..=0 => Escalation::Officer,
            1 => Escalation::Section,
            2 => Escalation::Mission,
            _ => Escalation::Headquarters,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Escalation::Officer => "officer",
            Escalation::Section => "section",
            Escalation::Mission => "mission",
            Escalation::Headquarters => "headquarters",
        }
    }
}

/// The escalation an open case should be at, `now`.
pub fn escalation(opened: DateTime<Utc>, due: DateTime<Utc>, now: DateTime<Utc>) -> Escalation {
    let allowed = due - opened;
    if now < due {
        Escalation::Officer
    } else if now < due + allowed / 2 {
        Escalation::Section
    } else if now < due + allowed {
        Escalation::Mission
    } else {
        Escalation::Headquarters
    }
}

/// One checklist item, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct ChecklistItem {
    pub vi: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Deadlines {
    pub urgent: i64,
    pub high: i64,
    pub normal: i64,
    pub low: i64,
}

/// A case type as the data file defines it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct CaseType {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    /// The Vienna Convention (art. 36) consular-access clock applies.
    pub consular_access: bool,
    /// Restricted categories every case of this type carries.
    pub restricted: Vec<Restricted>,
    /// Hours from intake to the deadline, by priority.
    pub deadline_hours: Deadlines,
    /// The type's own fields (a death's remains, a vessel's name…); none is required.
    #[serde(default)]
    pub fields: Vec<TypeField>,
    pub checklist: Vec<ChecklistItem>,
}

/// What a type's field holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    #[default]
    Text,
    /// `YYYY-MM-DD` (also read as `DD/MM/YYYY`).
    Date,
    /// Digits, with at most one decimal point.
    Number,
    /// One of the field's `options`.
    Choice,
}

/// One option of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct FieldOption {
    pub value: String,
    pub vi: String,
    pub en: String,
}

/// A field of one case type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct TypeField {
    pub key: String,
    pub vi: String,
    pub en: String,
    #[serde(default)]
    pub kind: FieldKind,
    #[serde(default)]
    pub options: Vec<FieldOption>,
}

/// The longest value a type's text field takes.
pub const DETAIL_MAX_CHARS: usize = 500;

impl TypeField {
    /// The value as stored (NFC, trimmed; dates as `YYYY-MM-DD`), or the message key of what
    /// is wrong with it.
    pub fn clean(&self, value: &str) -> Result<String, &'static str> {
        let v = crate::text::nfc(value.trim());
        match self.kind {
            FieldKind::Text => {
                if v.chars().count() > DETAIL_MAX_CHARS || v.chars().any(|c| c.is_control()) {
                    Err("case.error.detail_text")
                } else {
                    Ok(v)
                }
            }
            FieldKind::Date => {
                let d = chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                    .or_else(|_| chrono::NaiveDate::parse_from_str(&v, "%d/%m/%Y"))
                    .map_err(|_| "case.error.detail_date")?;
                Ok(d.format("%Y-%m-%d").to_string())
            }
            FieldKind::Number => {
                let ok = !v.is_empty()
                    && v.len() <= 15
                    && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    && v.bytes().filter(|&b| b == b'.').count() <= 1
                    && !v.starts_with('.')
                    && !v.ends_with('.');
                if ok {
                    Ok(v)
                } else {
                    Err("case.error.detail_number")
                }
            }
            FieldKind::Choice => {
                if self.options.iter().any(|o| o.value == v) {
                    Ok(v)
                } else {
                    Err("case.error.detail_choice")
                }
            }
        }
    }

    /// The label in one language (`vi` or anything else for English).
    pub fn label(&self, lang: &str) -> &str {
        if lang == "vi" { &self.vi } else { &self.en }
    }

    /// A stored value as people read it (a choice's label; other kinds as stored).
    pub fn display(&self, value: &str, lang: &str) -> String {
        match self.options.iter().find(|o| o.value == value) {
            Some(o) if lang == "vi" => o.vi.clone(),
            Some(o) => o.en.clone(),
            None => value.to_owned(),
        }
    }
}

impl CaseType {
    /// Check a case's details against this type: unknown keys and bad values are refused
    /// (each as `details.<key>`); empty values are dropped.
    pub fn clean_details(
        &self,
        input: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, Vec<crate::person::FieldError>> {
        let mut out = BTreeMap::new();
        let mut errs = Vec::new();
        for (k, v) in input {
            let Some(f) = self.fields.iter().find(|f| &f.key == k) else {
                errs.push(crate::person::FieldError {
                    field: format!("details.{}", k.chars().take(64).collect::<String>()),
                    code: "case.error.detail_unknown",
                });
                continue;
            };
            if v.trim().is_empty() {
                continue;
            }
            match f.clean(v) {
                Ok(c) => {
                    out.insert(k.clone(), c);
                }
                Err(code) => errs.push(crate::person::FieldError {
                    field: format!("details.{k}"),
                    code,
                }),
            }
        }
        if errs.is_empty() { Ok(out) } else { Err(errs) }
    }
}

impl CaseType {
    pub fn deadline(&self, priority: Priority) -> Duration {
        let h = match priority {
            Priority::Urgent => self.deadline_hours.urgent,
            Priority::High => self.deadline_hours.high,
            Priority::Normal => self.deadline_hours.normal,
            Priority::Low => self.deadline_hours.low,
        };
        Duration::hours(h)
    }
}

#[derive(Deserialize)]
struct File {
    #[serde(rename = "type")]
    types: Vec<CaseType>,
}

static TYPES: LazyLock<Vec<CaseType>> = LazyLock::new(|| {
    // Checked by the unit tests: a build that passed them parses this file.
    toml::from_str::<File>(include_str!("../refdata/case_types.toml"))
        .map(|f| f.types)
        .unwrap_or_default()
});

pub fn case_types() -> &'static [CaseType] {
    &TYPES
}

pub fn case_type(code: &str) -> Option<&'static CaseType> {
    TYPES.iter().find(|t| t.code == code)
}

/// How the case came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Hotline,
    Mission,
    Partner,
    Portal,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Hotline,
        Channel::Mission,
        Channel::Partner,
        Channel::Portal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Hotline => "hotline",
            Channel::Mission => "mission",
            Channel::Partner => "partner",
            Channel::Portal => "portal",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Kinds of timeline entries.
pub const EVENT_KINDS: &[&str] = &[
    "note",
    "call",
    "visit",
    "consular_visit",
    "court_hearing",
    "money_advanced",
    "document_issued",
    "family_message",
    "status",
    "assignment",
    "escalation",
];

/// The consular-access clock of an arrest or detention case (Vienna Convention on Consular
/// Relations, art. 36): the host state must inform the mission "without delay" and let its
/// officers visit. Visits are the case's `consular_visit` timeline entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessClock {
    pub arrested_at: Option<DateTime<Utc>>,
    /// When the host state notified the mission.
    pub notified_at: Option<DateTime<Utc>>,
    /// When the mission asked for access.
    pub requested_at: Option<DateTime<Utc>>,
    pub granted_at: Option<DateTime<Utc>>,
    /// Consular visits, oldest first.
    pub visits: Vec<DateTime<Utc>>,
}

/// Days allowed for the host state's notification ("without delay", read as 3 days here).
pub const NOTIFY_DAYS: i64 = 3;
/// Days allowed between the request for access and its grant.
pub const GRANT_DAYS: i64 = 7;
/// Days allowed between two consular visits of a detained person.
pub const VISIT_EVERY_DAYS: i64 = 30;

/// A breach of the clock, with the days it took (or has taken so far).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "days")]
pub enum Breach {
    LateNotification(i64),
    AccessNotGranted(i64),
    VisitOverdue(i64),
}

impl Breach {
    pub fn code(self) -> &'static str {
        match self {
            Breach::LateNotification(_) => "late_notification",
            Breach::AccessNotGranted(_) => "access_not_granted",
            Breach::VisitOverdue(_) => "visit_overdue",
        }
    }

    pub fn days(self) -> i64 {
        match self {
            Breach::LateNotification(d) | Breach::AccessNotGranted(d) | Breach::VisitOverdue(d) => {
                d
            }
        }
    }
}

impl AccessClock {
    /// Days from arrest to the host state's notification, when both are known.
    pub fn notification_days(&self) -> Option<i64> {
        Some((self.notified_at? - self.arrested_at?).num_days())
    }

    /// The breaches at `now` (an open case; a closed one is judged at its closing time).
    pub fn breaches(&self, now: DateTime<Utc>) -> Vec<Breach> {
        let mut out = Vec::new();
        if let Some(arrested) = self.arrested_at {
            let until = self.notified_at.unwrap_or(now);
            let d = (until - arrested).num_days();
            if d > NOTIFY_DAYS {
                out.push(Breach::LateNotification(d));
            }
        }
        if let Some(req) = self.requested_at {
            let until = self.granted_at.unwrap_or(now);
            let d = (until - req).num_days();
            if d > GRANT_DAYS {
                out.push(Breach::AccessNotGranted(d));
            }
        }
        if let Some(granted) = self.granted_at {
            let last = self
                .visits
                .iter()
                .copied()
                .filter(|v| *v >= granted)
                .max()
                .unwrap_or(granted);
            let d = (now - last).num_days();
            if d > VISIT_EVERY_DAYS {
                out.push(Breach::VisitOverdue(d));
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn case_types_parse_with_both_languages_and_sane_deadlines() {
        let types = case_types();
        assert_eq!(types.len(), 15);
        for ty in types {
            assert!(
                !ty.name_vi.is_empty() && !ty.name_en.is_empty(),
                "{}",
                ty.code
            );
            assert!(crate::text::is_nfc(&ty.name_vi));
            assert!(!ty.checklist.is_empty(), "{}", ty.code);
            let d = &ty.deadline_hours;
            assert!(
                0 < d.urgent && d.urgent <= d.high && d.high <= d.normal && d.normal <= d.low,
                "{}",
                ty.code
            );
        }
        assert_eq!(
            case_type("trafficking").unwrap().restricted,
            vec![Restricted::Trafficking]
        );
        assert!(case_type("arrest").unwrap().consular_access);
        assert!(case_type("nope").is_none());
    }

    #[test]
    fn every_type_has_its_own_fields_with_unique_keys_and_labelled_options() {
        for ty in case_types() {
            assert!(!ty.fields.is_empty(), "{}", ty.code);
            let mut keys: Vec<&str> = ty.fields.iter().map(|f| f.key.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), ty.fields.len(), "{}: duplicate key", ty.code);
            for f in &ty.fields {
                assert!(!f.vi.is_empty() && !f.en.is_empty() && crate::text::is_nfc(&f.vi));
                assert_eq!(
                    f.kind == FieldKind::Choice,
                    !f.options.is_empty(),
                    "{}.{}: options belong to choices",
                    ty.code,
                    f.key
                );
                for o in &f.options {
                    assert!(!o.vi.is_empty() && !o.en.is_empty());
                }
            }
        }
    }

    #[test]
    fn details_are_cleaned_or_refused_per_field() {
        let death = case_type("death").unwrap();
        let input: BTreeMap<String, String> = [
            ("date_of_death", "03/11/2026"),
            ("remains", "repatriate_ashes"),
            ("cause", "  Tai nạn giao thông "),
            ("funeral_home", "   "),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let out = death.clean_details(&input).unwrap();
        assert_eq!(out["date_of_death"], "2026-11-03");
        assert_eq!(out["remains"], "repatriate_ashes");
        assert_eq!(out["cause"], "Tai nạn giao thông");
        assert!(
            !out.contains_key("funeral_home"),
            "empty values are dropped"
        );
        let f = death.fields.iter().find(|f| f.key == "remains").unwrap();
        assert_eq!(
            f.display("repatriate_ashes", "en"),
            "Cremate, repatriate the ashes"
        );

        let bad: BTreeMap<String, String> = [
            ("date_of_death", "31/02/2026"),
            ("remains", "sea"),
            ("vessel_name", "not a death field"),
            ("cause", &"x".repeat(DETAIL_MAX_CHARS + 1)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let errs = death.clean_details(&bad).unwrap_err();
        let codes: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert!(codes.contains(&("details.date_of_death", "case.error.detail_date")));
        assert!(codes.contains(&("details.remains", "case.error.detail_choice")));
        assert!(codes.contains(&("details.vessel_name", "case.error.detail_unknown")));
        assert!(codes.contains(&("details.cause", "case.error.detail_text")));

        let boat = case_type("fishermen").unwrap();
        let n = |v: &str| {
            boat.clean_details(&[("crew".to_owned(), v.to_owned())].into_iter().collect())
        };
        assert_eq!(n("12").unwrap()["crew"], "12");
        for v in ["-3", "1.2.3", "12 người", ".5"] {
            assert!(n(v).is_err(), "{v}");
        }
    }

    #[test]
    fn workflow_moves_and_refusals() {
        use Status::*;
        assert!(check_transition(New, Assessed, "").is_ok());
        assert!(check_transition(Assessed, InProgress, "").is_ok());
        assert!(check_transition(InProgress, AwaitingPartner, "").is_ok());
        assert!(check_transition(AwaitingPartner, Resolved, "").is_ok());
        assert_eq!(
            check_transition(New, Resolved, ""),
            Err(TransitionError::NotAllowed)
        );
        assert_eq!(
            check_transition(Resolved, Closed, ""),
            Err(TransitionError::NeedsApproval)
        );
        assert_eq!(
            check_transition(Closed, InProgress, "oops"),
            Err(TransitionError::NeedsReason)
        );
        assert!(check_transition(Closed, InProgress, "family sent new information").is_ok());
        assert_eq!(
            check_transition(Closed, New, "family sent new information"),
            Err(TransitionError::NotAllowed)
        );
    }

    #[test]
    fn red_amber_green_against_the_deadline() {
        let (open, due) = (t(0), t(48));
        assert_eq!(rag(open, due, t(1)), Rag::Green);
        assert_eq!(rag(open, due, t(35)), Rag::Green);
        assert_eq!(rag(open, due, t(36)), Rag::Amber);
        assert_eq!(rag(open, due, t(47)), Rag::Amber);
        assert_eq!(rag(open, due, t(48)), Rag::Red);
    }

    #[test]
    fn escalation_climbs_the_chain_as_time_passes() {
        let (open, due) = (t(0), t(24));
        assert_eq!(escalation(open, due, t(23)), Escalation::Officer);
        assert_eq!(escalation(open, due, t(24)), Escalation::Section);
        assert_eq!(escalation(open, due, t(35)), Escalation::Section);
        assert_eq!(escalation(open, due, t(36)), Escalation::Mission);
        assert_eq!(escalation(open, due, t(47)), Escalation::Mission);
        assert_eq!(escalation(open, due, t(48)), Escalation::Headquarters);
        assert_eq!(escalation(open, due, t(1000)), Escalation::Headquarters);
        for l in 0..4 {
            assert_eq!(Escalation::from_level(l).level(), l);
        }
    }

    #[test]
    fn the_consular_access_clock_flags_breaches() {
        let mut c = AccessClock {
            arrested_at: Some(t(0)),
            ..Default::default()
        };
        assert!(
            c.breaches(t(72)).is_empty(),
            "three days without notice is still in time"
        );
        assert_eq!(c.breaches(t(24 * 5)), vec![Breach::LateNotification(5)]);
        c.notified_at = Some(t(24 * 2));
        assert_eq!(c.notification_days(), Some(2));
        c.requested_at = Some(t(24 * 2));
        assert!(c.breaches(t(24 * 9)).is_empty());
        assert_eq!(c.breaches(t(24 * 12)), vec![Breach::AccessNotGranted(10)]);
        c.granted_at = Some(t(24 * 4));
        assert!(c.breaches(t(24 * 30)).is_empty());
        assert_eq!(c.breaches(t(24 * 40)), vec![Breach::VisitOverdue(36)]);
        c.visits = vec![t(24 * 35)];
        assert!(
            c.breaches(t(24 * 40)).is_empty(),
            "a visit resets the cadence"
        );
        c.notified_at = Some(t(24 * 6));
        assert_eq!(c.breaches(t(24 * 40)), vec![Breach::LateNotification(6)]);
    }

    #[test]
    fn deadlines_follow_type_and_priority() {
        let arrest = case_type("arrest").unwrap();
        assert_eq!(arrest.deadline(Priority::Urgent), Duration::hours(24));
        assert!(arrest.deadline(Priority::Low) > arrest.deadline(Priority::High));
    }
}
