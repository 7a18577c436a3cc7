//! A person Baoho knows: a citizen in trouble abroad, a next of kin, a returnee.
//!
//! Names are kept exactly as entered (NFC) for display; [`PersonInput::name_folded`] is what
//! search indexes. Dates of birth may be partial. Documents, contacts, next of kin and notes
//! are restricted fields: the store encrypts them at rest.

use crate::access::Restricted;
use crate::date::PartialDate;
use crate::refdata;
use crate::text::{fold, fold_tokens, nfc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Sex as recorded; `Unknown` when the source did not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    #[default]
    Unknown,
}

impl Sex {
    pub const ALL: [Sex; 4] = [Sex::Female, Sex::Male, Sex::Other, Sex::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim().to_ascii_lowercase().as_str() {
            "female" | "f" | "nu" | "nữ" => Some(Sex::Female),
            "male" | "m" | "nam" => Some(Sex::Male),
            "other" | "x" => Some(Sex::Other),
            "unknown" | "u" | "" => Some(Sex::Unknown),
            _ => None,
        }
    }
}

impl Restricted {
    pub const ALL: [Restricted; 3] = [
        Restricted::Trafficking,
        Restricted::Minor,
        Restricted::GenderBasedViolence,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Restricted::Trafficking => "trafficking",
            Restricted::Minor => "minor",
            Restricted::GenderBasedViolence => "gender_based_violence",
        }
    }

    pub fn parse(s: &str) -> Option<Restricted> {
        Restricted::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The stored form of a set: comma-separated codes in a fixed order, `""` for none.
    pub fn join(set: &[Restricted]) -> String {
        Restricted::ALL
            .into_iter()
            .filter(|r| set.contains(r))
            .map(Restricted::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn split(s: &str) -> Vec<Restricted> {
        s.split(',').filter_map(Restricted::parse).collect()
    }
}

/// Kind of identity document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Passport,
    /// Căn cước công dân / căn cước (the national identity card).
    CitizenId,
    /// Emergency travel document (giấy thông hành) issued by a mission.
    TravelDocument,
    /// A foreign residence or work permit.
    ForeignPermit,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::Passport,
        DocumentKind::CitizenId,
        DocumentKind::TravelDocument,
        DocumentKind::ForeignPermit,
        DocumentKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Passport => "passport",
            DocumentKind::CitizenId => "citizen_id",
            DocumentKind::TravelDocument => "travel_document",
            DocumentKind::ForeignPermit => "foreign_permit",
            DocumentKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An identity document with its issuing data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Document {
    pub kind: DocumentKind,
    /// As printed; compared in [`document_key`] form (upper case, letters and digits only).
    pub number: String,
    /// ISO alpha-2 of the issuing state (`VN` for Vietnamese documents).
    #[serde(default)]
    pub issuing_country: String,
    /// Issuing authority or place, as printed.
    #[serde(default)]
    pub issued_by: String,
    #[serde(default)]
    pub issued_on: Option<String>,
    #[serde(default)]
    pub expires_on: Option<String>,
}

/// A way to reach the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    /// `phone`, `email`, `address`, `messaging` (Zalo, WhatsApp…).
    pub kind: String,
    pub value: String,
}

/// A relative or friend to inform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NextOfKin {
    pub name: String,
    /// Mother, husband, brother…, as entered.
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
}

/// What an officer enters to create or edit a person (already NFC at the server's edge;
/// [`PersonInput::normalise`] makes sure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, ToSchema)]
pub struct PersonInput {
    /// Full name as written, family name first by Vietnamese convention (any order is found).
    pub full_name: String,
    /// Other names and spellings (maiden name, the name in a foreign passport).
    #[serde(default)]
    pub other_names: String,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[serde(default)]
    pub birth: Option<PartialDate>,
    #[serde(default)]
    pub sex: Sex,
    /// Hometown province as entered: old (pre-2025) or new names both understood.
    #[serde(default)]
    pub hometown: String,
    /// ISO alpha-2; `VN` unless said otherwise.
    #[serde(default)]
    pub nationality: String,
    /// Where the person is now (ISO alpha-2), which decides the responsible mission.
    #[serde(default)]
    pub country: String,
    /// Responsible mission code; empty when handled by headquarters.
    #[serde(default)]
    pub mission: String,
    #[serde(default)]
    pub restricted: Vec<Restricted>,
    #[serde(default)]
    pub documents: Vec<Document>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub next_of_kin: Vec<NextOfKin>,
    /// Free-text notes (restricted: encrypted at rest).
    #[serde(default)]
    pub notes: String,
}

/// One problem with one field, for the form or the problem+json `errors` member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// A message key (`person.error.name_required`); the server translates it.
    pub code: &'static str,
}

impl FieldError {
    fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
        }
    }
}

pub const MAX_NAME: usize = 200;
pub const MAX_NOTES: usize = 20_000;
pub const MAX_ITEMS: usize = 20;

/// The comparable form of a document number: upper-case ASCII letters and digits.
pub fn document_key(number: &str) -> String {
    fold(number)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn clean(s: &str) -> String {
    nfc(s.trim())
}

fn one_line_ok(s: &str, max: usize) -> bool {
    s.chars().count() <= max && !s.chars().any(char::is_control)
}

impl PersonInput {
    /// NFC every text field, trim it, upper-case codes, drop empty list items.
    pub fn normalise(mut self) -> Self {
        self.full_name = clean(&self.full_name)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        self.other_names = clean(&self.other_names);
        self.hometown = clean(&self.hometown);
        self.nationality = clean(&self.nationality).to_ascii_uppercase();
        if self.nationality.is_empty() {
            self.nationality = "VN".into();
        }
        self.country = clean(&self.country).to_ascii_uppercase();
        self.mission = clean(&self.mission).to_ascii_uppercase();
        self.notes = nfc(&self.notes);
        let mut seen = Vec::new();
        self.restricted.retain(|r| {
            let fresh = !seen.contains(r);
            seen.push(*r);
            fresh
        });
        for d in &mut self.documents {
            d.number = clean(&d.number);
            d.issuing_country = clean(&d.issuing_country).to_ascii_uppercase();
            d.issued_by = clean(&d.issued_by);
            d.issued_on = d.issued_on.as_deref().map(clean).filter(|s| !s.is_empty());
            d.expires_on = d.expires_on.as_deref().map(clean).filter(|s| !s.is_empty());
        }
        self.documents.retain(|d| !d.number.is_empty());
        for c in &mut self.contacts {
            c.kind = clean(&c.kind).to_ascii_lowercase();
            c.value = clean(&c.value);
        }
        self.contacts.retain(|c| !c.value.is_empty());
        for k in &mut self.next_of_kin {
            k.name = clean(&k.name);
            k.relation = clean(&k.relation);
            k.phone = clean(&k.phone);
            k.address = clean(&k.address);
        }
        self.next_of_kin
            .retain(|k| !(k.name.is_empty() && k.phone.is_empty() && k.address.is_empty()));
        self
    }

    /// Every problem at once (a form shows them all). Call after [`Self::normalise`].
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        if fold_tokens(&self.full_name).is_empty() {
            errs.push(FieldError::new("full_name", "person.error.name_required"));
        } else if !one_line_ok(&self.full_name, MAX_NAME) {
            errs.push(FieldError::new("full_name", "person.error.name_invalid"));
        }
        if !one_line_ok(&self.other_names, MAX_NAME) {
            errs.push(FieldError::new("other_names", "person.error.name_invalid"));
        }
        if !self.hometown.is_empty() && refdata::find_province(&self.hometown).is_none() {
            errs.push(FieldError::new("hometown", "person.error.unknown_province"));
        }
        if refdata::country(&self.nationality).is_none() {
            errs.push(FieldError::new(
                "nationality",
                "person.error.unknown_country",
            ));
        }
        if !self.country.is_empty() && refdata::country(&self.country).is_none() {
            errs.push(FieldError::new("country", "person.error.unknown_country"));
        }
        if !self.mission.is_empty() && refdata::mission(&self.mission).is_none() {
            errs.push(FieldError::new("mission", "person.error.unknown_mission"));
        }
        if self.notes.chars().count() > MAX_NOTES {
            errs.push(FieldError::new("notes", "person.error.too_long"));
        }
        for (list, n) in [
            ("documents", self.documents.len()),
            ("contacts", self.contacts.len()),
            ("next_of_kin", self.next_of_kin.len()),
        ] {
            if n > MAX_ITEMS {
                errs.push(FieldError::new(list, "person.error.too_many"));
            }
        }
        for (i, d) in self.documents.iter().enumerate() {
            let key = document_key(&d.number);
            if key.len() < 5 || key.len() > 20 || d.number.chars().count() > 30 {
                errs.push(FieldError::new(
                    format!("documents[{i}].number"),
                    "person.error.document_number",
                ));
            }
            if !d.issuing_country.is_empty() && refdata::country(&d.issuing_country).is_none() {
                errs.push(FieldError::new(
                    format!("documents[{i}].issuing_country"),
                    "person.error.unknown_country",
                ));
            }
            for (f, v) in [("issued_on", &d.issued_on), ("expires_on", &d.expires_on)] {
                if let Some(v) = v
                    && PartialDate::parse(v).is_err()
                {
                    errs.push(FieldError::new(
                        format!("documents[{i}].{f}"),
                        "person.error.date",
                    ));
                }
            }
            if !one_line_ok(&d.issued_by, MAX_NAME) {
                errs.push(FieldError::new(
                    format!("documents[{i}].issued_by"),
                    "person.error.too_long",
                ));
            }
        }
        for (i, c) in self.contacts.iter().enumerate() {
            if !["phone", "email", "address", "messaging"].contains(&c.kind.as_str()) {
                errs.push(FieldError::new(
                    format!("contacts[{i}].kind"),
                    "person.error.contact_kind",
                ));
            }
            if !one_line_ok(&c.value, 500) {
                errs.push(FieldError::new(
                    format!("contacts[{i}].value"),
                    "person.error.too_long",
                ));
            }
        }
        for (i, k) in self.next_of_kin.iter().enumerate() {
            if [&k.name, &k.relation, &k.phone, &k.address]
                .iter()
                .any(|v| !one_line_ok(v, 500))
            {
                errs.push(FieldError::new(
                    format!("next_of_kin[{i}]"),
                    "person.error.too_long",
                ));
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    /// What search indexes: the folded full name and other names.
    pub fn name_folded(&self) -> String {
        let mut s = fold(&self.full_name);
        let other = fold(&self.other_names);
        if !other.is_empty() {
            s.push(' ');
            s.push_str(&other);
        }
        s
    }

    /// The 2025 province code of the hometown, if recognised.
    pub fn hometown_province(&self) -> Option<&'static str> {
        refdata::find_province(&self.hometown).map(|m| m.province.code.as_str())
    }
}

/// A search request, as typed: a name in any order, with or without diacritics, or a document
/// number; optionally narrowed by birth year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonQuery {
    pub text: String,
    pub birth_year: Option<u16>,
    /// Most results returned (the store caps it).
    pub limit: u32,
}

impl PersonQuery {
    /// Folded words of the query (what the name index is asked for).
    pub fn words(&self) -> Vec<String> {
        fold_tokens(&self.text)
    }

    /// The query as a document number, when it looks like one (has a digit, no spaces).
    pub fn document_key(&self) -> Option<String> {
        let t = self.text.trim();
        (!t.contains(char::is_whitespace) && t.chars().any(|c| c.is_ascii_digit()))
            .then(|| document_key(t))
            .filter(|k| k.len() >= 5)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input(name: &str) -> PersonInput {
        PersonInput {
            full_name: name.into(),
            ..Default::default()
        }
        .normalise()
    }

    #[test]
    fn names_are_nfc_and_folded() {
        let nfd: String =
            unicode_normalization::UnicodeNormalization::nfd("Nguyễn  Văn Đức").collect::<String>();
        let p = input(&nfd);
        assert_eq!(p.full_name, "Nguyễn Văn Đức");
        assert_eq!(p.name_folded(), "nguyen van duc");
        assert_eq!(p.nationality, "VN");
        assert!(p.validate().is_ok());
    }

    #[test]
    fn every_problem_is_reported() {
        let mut p = input("   ");
        p.country = "ZZ".into();
        p.mission = "NOPE".into();
        p.hometown = "Atlantis".into();
        p.documents = vec![Document {
            kind: DocumentKind::Passport,
            number: "12".into(),
            issuing_country: "VN".into(),
            issued_by: String::new(),
            issued_on: Some("31/02/2020".into()),
            expires_on: None,
        }];
        let codes: Vec<_> = p
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect();
        for want in [
            "full_name",
            "country",
            "mission",
            "hometown",
            "documents[0].number",
            "documents[0].issued_on",
        ] {
            assert!(codes.iter().any(|(f, _)| f == want), "{want}: {codes:?}");
        }
    }

    #[test]
    fn old_and_new_hometowns_are_understood() {
        let mut p = input("Lê Thị Mai");
        p.hometown = "Quảng Nam".into();
        assert!(p.validate().is_ok());
        let merged = p.hometown_province().unwrap();
        p.hometown = "Da Nang".into();
        assert_eq!(p.hometown_province().unwrap(), merged);
    }

    #[test]
    fn document_numbers_compare_loosely() {
        assert_eq!(document_key("c 1234-567"), "C1234567");
        let q = PersonQuery {
            text: "c1234567".into(),
            ..Default::default()
        };
        assert_eq!(q.document_key().as_deref(), Some("C1234567"));
        let name = PersonQuery {
            text: "nguyen van a".into(),
            ..Default::default()
        };
        assert_eq!(name.document_key(), None);
        assert_eq!(name.words(), vec!["nguyen", "van", "a"]);
    }

    #[test]
    fn restricted_sets_round_trip() {
        let s = Restricted::join(&[Restricted::Minor, Restricted::Trafficking]);
        assert_eq!(s, "trafficking,minor");
        assert_eq!(
            Restricted::split(&s),
            vec![Restricted::Trafficking, Restricted::Minor]
        );
        assert_eq!(Restricted::join(&[]), "");
        assert!(Restricted::split("").is_empty());
    }
}
