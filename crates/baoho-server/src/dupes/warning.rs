//! The duplicate warning for one officer: the matcher's candidates (or, until it is ready,
//! the text search's hits) plus exact document hits, each loaded through the officer's scoped
//! handle, so a person outside their scope is never shown, nor hinted at. Used by the intake
//! form and by `POST /api/v1/persons/duplicates`.

use super::{Found, Probe, Reason};
use crate::app::AppState;
use crate::auth::Authed;
use crate::error::{AppError, FieldError, ProblemBody};
use crate::extract::Json;
use crate::i18n::Tr;
use crate::layers::RequestId;
use axum::Extension;
use axum::extract::State;
use baoho_domain::date::PartialDate;
use baoho_domain::person::{PersonQuery, Sex, document_key};
use baoho_match::Decision;
use baoho_store::{PersonSummary, Persons};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most candidates a warning shows.
pub const MAX_SHOWN: usize = 10;

/// How the candidates were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The matcher's comparator (probabilities and reasons given).
    Matcher,
    /// The registry's text search (the matcher is being built, or the registry is too small
    /// to train it): same folded name words and birth year, or the same document number.
    TextSearch,
}

/// One likely existing person, in the caller's scope.
#[derive(Debug, Clone)]
pub struct Likely {
    pub person: PersonSummary,
    /// The matcher's probability that this is the person typed (none from text search).
    pub probability: Option<f64>,
    pub decision: Option<Decision>,
    pub reasons: Vec<Reason>,
    /// A passport or citizen id number typed is this person's.
    pub same_document: bool,
}

/// The warning: who, and found how.
#[derive(Debug, Clone)]
pub struct Warning {
    pub method: Method,
    pub candidates: Vec<Likely>,
}

fn likely(person: PersonSummary, found: Option<&Found>) -> Likely {
    Likely {
        person,
        probability: found.map(|f| f.probability),
        decision: found.map(|f| f.decision),
        reasons: found.map(|f| f.reasons.clone()).unwrap_or_default(),
        same_document: found.is_some_and(|f| f.same_document),
    }
}

/// Likely existing persons for `probe` that `persons` (the officer's handle) may see, most
/// likely first. Audited as searches by the handle (no names in the audit trail).
pub async fn check(
    dupes: &super::Dupes,
    persons: &Persons,
    probe: &Probe,
) -> Result<Warning, AppError> {
    // Exact document hits, through the scoped search (blind index of the number).
    let mut doc_hits: Vec<PersonSummary> = Vec::new();
    for number in [&probe.passport, &probe.national_id] {
        let key = document_key(number);
        if key.len() < 5 {
            continue;
        }
        let r = persons
            .search(&PersonQuery {
                text: key,
                birth_year: None,
                limit: MAX_SHOWN as u32,
            })
            .await?;
        for h in r.hits {
            if !doc_hits.iter().any(|d| d.id == h.id) {
                doc_hits.push(h);
            }
        }
    }
    let found = if probe.name.trim().is_empty() {
        None
    } else {
        // More than shown: some may be outside this officer's scope.
        dupes.candidates(probe, MAX_SHOWN * 4)
    };
    let Some(found) = found else {
        return text_search(persons, probe, doc_hits).await;
    };
    let ids: Vec<String> = found.iter().map(|f| f.person_id.clone()).collect();
    let shown = persons.summaries(&ids).await?;
    let mut candidates: Vec<Likely> = shown
        .into_iter()
        .map(|p| {
            let f = found.iter().find(|f| f.person_id == p.id);
            likely(p, f)
        })
        .collect();
    for d in doc_hits {
        match candidates.iter_mut().find(|c| c.person.id == d.id) {
            Some(c) => c.same_document = true,
            None => {
                let mut l = likely(d, None);
                l.same_document = true;
                candidates.push(l);
            }
        }
    }
    candidates.truncate(MAX_SHOWN);
    Ok(Warning {
        method: Method::Matcher,
        candidates,
    })
}

/// The warning before the matcher can answer: the same folded name words (any order),
/// narrowed by birth year when given, after the exact document hits.
async fn text_search(
    persons: &Persons,
    probe: &Probe,
    doc_hits: Vec<PersonSummary>,
) -> Result<Warning, AppError> {
    let mut candidates: Vec<Likely> = doc_hits
        .into_iter()
        .map(|d| {
            let mut l = likely(d, None);
            l.same_document = true;
            l
        })
        .collect();
    if !probe.name.trim().is_empty() {
        let r = persons
            .search(&PersonQuery {
                text: probe.name.clone(),
                birth_year: probe.birth.map(|b| b.year),
                limit: MAX_SHOWN as u32,
            })
            .await?;
        for h in r.hits {
            if !candidates.iter().any(|c| c.person.id == h.id) {
                candidates.push(likely(h, None));
            }
        }
    }
    candidates.truncate(MAX_SHOWN);
    Ok(Warning {
        method: Method::TextSearch,
        candidates,
    })
}

// --- how the page says it ---------------------------------------------------------------

/// Every (field, level) a [`Reason`] can carry (the catalogue test walks it).
pub const REASON_KEYS: &[(&str, &[&str])] = &[
    ("name", &["same", "sounds_alike", "similar", "different"]),
    (
        "born",
        &[
            "same",
            "swapped",
            "one_digit",
            "partial",
            "same_month",
            "same_year",
            "year_apart",
            "different",
        ],
    ),
    ("sex", &["same", "different"]),
    ("hometown", &["same", "different"]),
    ("passport", &["same", "one_char", "different"]),
    ("national_id", &["same", "one_char", "different"]),
];

/// One reason as the page shows it.
#[derive(Debug, Clone)]
pub struct ReasonView {
    pub field: String,
    pub level: String,
    pub agrees: bool,
}

/// One candidate as the page shows it.
#[derive(Debug, Clone)]
pub struct LikelyView {
    pub p: PersonSummary,
    /// `97 %`, or empty when not scored.
    pub likelihood: String,
    /// The verdict in words (empty when not scored).
    pub verdict: String,
    pub reasons: Vec<ReasonView>,
    pub same_document: bool,
}

/// The likelihood as a person reads it: whole percent, never a false 100 % or 0 %.
pub fn percent(p: f64) -> String {
    let v = (p * 100.0).round();
    if p >= 0.995 {
        "> 99 %".to_owned()
    } else if v < 1.0 {
        "< 1 %".to_owned()
    } else {
        format!("{v:.0} %")
    }
}

pub fn views(t: Tr, w: &Warning) -> Vec<LikelyView> {
    w.candidates
        .iter()
        .map(|c| LikelyView {
            p: c.person.clone(),
            likelihood: c.probability.map(percent).unwrap_or_default(),
            verdict: match c.decision {
                Some(Decision::Match) => t.s("dupes.verdict.match").to_owned(),
                Some(Decision::Review) => t.s("dupes.verdict.review").to_owned(),
                Some(Decision::NonMatch) | None => String::new(),
            },
            reasons: c
                .reasons
                .iter()
                .map(|r| ReasonView {
                    field: t.s(&format!("dupes.field.{}", r.field)).to_owned(),
                    level: t
                        .s(&format!("dupes.level.{}.{}", r.field, r.level))
                        .to_owned(),
                    agrees: r.agrees,
                })
                .collect(),
            same_document: c.same_document,
        })
        .collect()
}

// --- API --------------------------------------------------------------------------------

/// A person about to be recorded. Give a name, a document number, or both.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicateQuery {
    /// Full name in any order, with or without diacritics.
    #[serde(default)]
    pub full_name: String,
    /// Date of birth, as far as known.
    #[serde(default)]
    pub birth: Option<PartialDate>,
    #[serde(default)]
    pub sex: Option<Sex>,
    /// Home province (quê quán).
    #[serde(default)]
    pub hometown: String,
    #[serde(default)]
    pub passport: String,
    /// Citizen identity number (CCCD) or old CMND.
    #[serde(default)]
    pub national_id: String,
}

/// Why the comparator thinks a candidate is the person asked about, field by field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateReason {
    /// `name`, `born`, `sex`, `hometown`, `passport`, `national_id`.
    pub field: String,
    /// `same`, `sounds_alike`, `similar`, `swapped`, `one_digit`, `partial`, `same_month`,
    /// `same_year`, `year_apart`, `one_char`, `different`.
    pub level: String,
    /// Whether the field speaks for the same person.
    pub agrees: bool,
}

/// One likely existing person in your scope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateCandidate {
    pub person: PersonSummary,
    /// Probability that this is the person asked about (matcher only).
    pub probability: Option<f64>,
    /// `match` (very likely) or `review` (possible); null from the text search or for a
    /// document hit the matcher did not score.
    pub decision: Option<String>,
    /// A passport or citizen id number given is this person's.
    pub same_document: bool,
    pub reasons: Vec<DuplicateReason>,
}

/// The duplicate check's answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateCheck {
    pub method: Method,
    /// Most likely first; only persons you may see.
    pub candidates: Vec<DuplicateCandidate>,
}

impl DuplicateQuery {
    fn probe(self) -> Result<Probe, AppError> {
        let mut errors = Vec::new();
        let mut limit = |field: &str, v: &str, max: usize| {
            if v.chars().count() > max || v.contains(['\n', '\r']) {
                errors.push(FieldError {
                    field: field.into(),
                    message: format!("at most {max} characters on one line"),
                });
            }
        };
        limit("full_name", &self.full_name, 200);
        limit("hometown", &self.hometown, 100);
        limit("passport", &self.passport, 30);
        limit("national_id", &self.national_id, 30);
        let has_doc = [&self.passport, &self.national_id]
            .iter()
            .any(|d| document_key(d).len() >= 5);
        if self.full_name.trim().is_empty() && !has_doc {
            errors.push(FieldError {
                field: "full_name".into(),
                message: "give a name or a document number".into(),
            });
        }
        if !errors.is_empty() {
            return Err(AppError::Unprocessable {
                detail: "some fields need attention".into(),
                errors,
            });
        }
        Ok(Probe {
            name: self.full_name,
            birth: self.birth,
            sex: self.sex,
            hometown: self.hometown,
            passport: self.passport,
            national_id: self.national_id,
        })
    }
}

/// Likely existing persons for a person about to be recorded: the intake duplicate warning
/// as JSON. Scored by the identity matcher (names folded and compared phonetically in any
/// order, dates of birth with typos, documents); until it is ready, by the text search
/// (`method` says which). Only persons in your scope are returned; one `search` audit row.
/// A POST so that names stay out of URLs and access logs.
#[utoipa::path(post, path = "/api/v1/persons/duplicates", tag = "persons", operation_id = "persons_duplicates_check", request_body = DuplicateQuery,
    responses((status = 200, body = DuplicateCheck), (status = 422, body = ProblemBody), (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)))]
pub async fn api_check(
    State(state): State<AppState>,
    Extension(authed): Extension<Authed>,
    Extension(rid): Extension<RequestId>,
    Json(q): Json<DuplicateQuery>,
) -> Result<Json<DuplicateCheck>, AppError> {
    let probe = q.probe()?;
    let persons = authed.persons(&state, &rid, "duplicate check");
    let w = check(&state.dupes, &persons, &probe).await?;
    Ok(Json(DuplicateCheck {
        method: w.method,
        candidates: w
            .candidates
            .into_iter()
            .map(|c| DuplicateCandidate {
                person: c.person,
                probability: c.probability,
                decision: c.decision.and_then(|d| match d {
                    Decision::Match => Some("match".to_owned()),
                    Decision::Review => Some("review".to_owned()),
                    Decision::NonMatch => None,
                }),
                same_document: c.same_document,
                reasons: c
                    .reasons
                    .into_iter()
                    .map(|r| DuplicateReason {
                        field: r.field.to_owned(),
                        level: r.level.to_owned(),
                        agrees: r.agrees,
                    })
                    .collect(),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, keys};

    #[test]
    fn every_reason_and_verdict_is_said_in_both_languages() {
        for lang in Lang::ALL {
            let k = keys(lang);
            let mut want = vec![
                "dupes.verdict.match".to_owned(),
                "dupes.verdict.review".to_owned(),
            ];
            for (field, levels) in REASON_KEYS {
                want.push(format!("dupes.field.{field}"));
                want.extend(levels.iter().map(|l| format!("dupes.level.{field}.{l}")));
            }
            let missing: Vec<_> = want.iter().filter(|w| !k.contains(w)).collect();
            assert!(missing.is_empty(), "{}: {missing:?}", lang.code());
        }
    }

    #[test]
    fn likelihood_is_never_a_false_certainty() {
        assert_eq!(percent(0.9999), "> 99 %");
        assert_eq!(percent(0.97), "97 %");
        assert_eq!(percent(0.001), "< 1 %");
    }

    #[test]
    fn a_query_needs_a_name_or_a_document() {
        assert!(DuplicateQuery::default().probe().is_err());
        let q = DuplicateQuery {
            passport: "C1234567".into(),
            ..Default::default()
        };
        assert!(q.probe().is_ok());
        let q = DuplicateQuery {
            full_name: "a".repeat(201),
            ..Default::default()
        };
        assert!(q.probe().is_err());
    }
}
