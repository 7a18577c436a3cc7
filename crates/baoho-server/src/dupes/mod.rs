//! The duplicate matcher: the person registry held in memory as a `baoho_match` [`Index`]
//! with a trained [`Model`], so the intake duplicate warning compares a new person with
//! everyone the way the matcher does (folded and phonetic names in any order, dates of birth
//! with typos, document numbers) instead of by text search.
//!
//! Built in the background at start-up from the store (one system audit row per build); every
//! person created or edited through the server is pushed into it at once. While it is not
//! built, or the registry is too small to train on ([`MIN_REGISTRY`]), [`Dupes::candidates`]
//! answers `None` and the warning falls back to the registry's text search, so it never
//! disappears. The matcher only proposes person ids: the warning shows a candidate only after
//! loading it through the officer's scoped handle (`warning.rs`).

pub mod warning;

use crate::app::Clock;
use baoho_domain::date::PartialDate;
use baoho_domain::person::{DocumentKind, Sex};
use baoho_match::{Candidate, Decision, Index, LinkConfig, Model, Record};
use baoho_store::{Keyring, MatchRow, PersonRecord, RegistryFeed, Store, StoreError};
use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use tokio::sync::watch;

/// Fewest persons the matcher answers for. The registry gives the model its u (how often two
/// different persons agree by chance, from random pairs of it) and the term frequencies of
/// names and birth dates. Under a few dozen persons those are counts of one or two (with one
/// person there is no pair at all), so the warning uses the text search instead. The bound is
/// a margin, not a cliff: with m calibrated (below), `baoho bench dupes --min 1` still ranks a
/// folded, reordered or misspelled name with its birth date first at 10–300 persons (ADR 0009).
pub const MIN_REGISTRY: usize = 50;

/// Prior that the person typed at intake is a given one of the registry's N persons: one in
/// fifty newcomers is someone already registered (the matcher's own floor in `Model::train`).
const PRIOR_KNOWN: f64 = 0.02;

/// The warning also lists persons the model would not send to review, down to this
/// probability: at intake a missed duplicate (a second file for the same person) costs more
/// than one more line to read, and a name typed with one letter wrong against a large
/// registry often scores between this floor and the review threshold (`baoho bench dupes`).
pub const WARN_FLOOR: f64 = 0.02;

/// Synthetic persons (and their duplicates) that the m probabilities are learnt from.
const CALIBRATION_PERSONS: usize = 5_000;
const CALIBRATION_SEED: u64 = 0xba0_d0b5;

/// How a person's own records differ (m: typos, missing diacritics, swapped dates, renewed
/// passports), learnt once per process by the matcher's unsupervised training on a synthetic
/// registry in which a fifth of the persons were registered again with such errors. A real
/// registry mostly holds each person once, so EM on its own pairs has almost no matches to
/// learn m from and learns namesakes instead (an exact date of birth then counted against a
/// pair). u, the term frequencies and the prior are the real registry's.
fn calibration() -> &'static Model {
    static M: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        let people = baoho_gen::Generator::new(CALIBRATION_SEED).registry(CALIBRATION_PERSONS);
        let (records, _) = baoho_gen::make_duplicates(&people, 0.2, CALIBRATION_SEED);
        let records: Vec<Record> = records
            .iter()
            .map(|p| Record {
                name: p.full_name(),
                dob: Some(p.dob.to_string()),
                sex: Some(
                    match p.sex {
                        baoho_gen::Sex::Male => "M",
                        baoho_gen::Sex::Female => "F",
                    }
                    .into(),
                ),
                hometown: Some(p.hometown.clone()),
                passport: p.passport.clone(),
                national_id: (!p.national_id.is_empty()).then(|| p.national_id.clone()),
                ..Record::default()
            })
            .collect();
        Model::train(&Index::build(&records), &LinkConfig::default())
    })
}

/// The model for a registry index: its own u and thresholds, the calibrated m, the prior.
fn train(index: &Index) -> Model {
    let mut model = Model::train(index, &LinkConfig::default());
    model.params.m = calibration().params.m.clone();
    model.params.lambda = PRIOR_KNOWN / index.len().max(1) as f64;
    model
}

/// Persons read per page while building.
const PAGE: u32 = 5_000;

/// Where the matcher stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Never built yet, or the first build is running.
    Building,
    /// Trained and answering.
    Ready,
    /// Built, but the registry is smaller than [`MIN_REGISTRY`]: text search answers.
    TooSmall,
    /// The build failed (logged); text search answers.
    Failed,
}

/// What the intake (or the API) asks about: the person typed.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    pub name: String,
    pub birth: Option<PartialDate>,
    pub sex: Option<Sex>,
    pub hometown: String,
    pub passport: String,
    pub national_id: String,
}

impl Probe {
    fn record(&self) -> Record {
        let opt = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| baoho_domain::text::nfc(s))
        };
        Record {
            name: baoho_domain::text::nfc(self.name.trim()),
            dob: self.birth.map(|b| b.to_string()),
            sex: self.sex.and_then(sex_code),
            hometown: opt(&self.hometown),
            passport: opt(&self.passport),
            national_id: opt(&self.national_id),
            ..Record::default()
        }
    }
}

/// One field's part in why a candidate is likely, as the comparator saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// `name`, `born`, `sex`, `hometown`, `passport`, `national_id`.
    pub field: &'static str,
    /// The comparison's level, coarsened for people: `same`, `sounds_alike`, `similar`,
    /// `swapped`, `one_digit`, `partial`, `same_month`, `same_year`, `year_apart`,
    /// `one_char`, `different`.
    pub level: &'static str,
    /// Whether this field speaks for the same person (its weight is positive).
    pub agrees: bool,
}

/// A likely existing person, as the matcher scored them (not yet checked against anyone's
/// scope: never show one without loading it through a scoped handle).
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub person_id: String,
    pub probability: f64,
    pub decision: Decision,
    pub reasons: Vec<Reason>,
    /// A passport or citizen id number is exactly the one typed.
    pub same_document: bool,
}

/// The registry in memory, with the id of the person behind each record.
pub struct Matcher {
    index: Index,
    model: Option<Model>,
    /// Person id of each index record (a person with other names has several records).
    ids: Vec<Arc<str>>,
    known: HashSet<Arc<str>>,
    /// Records in the index when it was built (term frequencies are from then).
    built: usize,
}

fn sex_code(s: Sex) -> Option<String> {
    match s {
        Sex::Male => Some("M".into()),
        Sex::Female => Some("F".into()),
        Sex::Other | Sex::Unknown => None,
    }
}

/// The matcher's records for one registry row: its name, and each of its other names (comma
/// or semicolon separated) with the same birth, sex, place and documents.
pub fn records_of(row: &MatchRow) -> Vec<Record> {
    let nonempty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let base = Record {
        id: String::new(),
        name: row.full_name.clone(),
        dob: row.birth.map(|b| b.to_string()),
        sex: sex_code(row.sex),
        hometown: nonempty(&row.hometown),
        passport: row.passports.first().cloned(),
        national_id: row.national_ids.first().cloned(),
        ..Record::default()
    };
    let mut out = vec![base.clone()];
    for other in row.other_names.split([',', ';']).map(str::trim) {
        if !other.is_empty() && other != row.full_name {
            out.push(Record {
                name: other.to_owned(),
                ..base.clone()
            });
        }
    }
    out
}

/// The match-relevant part of a person as saved (what the server pushes after a write).
pub fn row_of(rec: &PersonRecord) -> MatchRow {
    let docs = |k: DocumentKind| {
        rec.data
            .documents
            .iter()
            .filter(|d| d.kind == k)
            .map(|d| d.number.clone())
            .collect()
    };
    MatchRow {
        rid: 0,
        id: rec.id.clone(),
        full_name: rec.data.full_name.clone(),
        other_names: rec.data.other_names.clone(),
        birth: rec.data.birth,
        sex: rec.data.sex,
        hometown: rec.data.hometown.clone(),
        passports: docs(DocumentKind::Passport),
        national_ids: docs(DocumentKind::CitizenId),
    }
}

/// A synthetic person (baoho-gen) as the store would give them, the `i`-th of a registry
/// (for benches and tests: the matcher's input without a database).
pub fn row_of_synthetic(i: usize, p: &baoho_gen::SynthPerson) -> MatchRow {
    MatchRow {
        rid: i as i64 + 1,
        id: p.id.clone(),
        full_name: p.full_name(),
        other_names: String::new(),
        birth: Some(p.dob),
        sex: match p.sex {
            baoho_gen::Sex::Male => Sex::Male,
            baoho_gen::Sex::Female => Sex::Female,
        },
        hometown: p.hometown.clone(),
        passports: p.passport.iter().cloned().collect(),
        national_ids: vec![p.national_id.clone()],
    }
}

impl Matcher {
    /// Prepare the rows and train the model if there are enough persons (CPU work: call it
    /// off the async runtime).
    pub fn build(rows: &[MatchRow]) -> Self {
        Self::build_with_min(rows, MIN_REGISTRY)
    }

    /// [`Self::build`] training from `min` persons on (`baoho bench dupes --min` shows why
    /// the server waits for [`MIN_REGISTRY`]).
    pub fn build_with_min(rows: &[MatchRow], min: usize) -> Self {
        let mut records = Vec::with_capacity(rows.len());
        let mut ids = Vec::with_capacity(rows.len());
        let mut known = HashSet::with_capacity(rows.len());
        for row in rows {
            let id: Arc<str> = Arc::from(row.id.as_str());
            for r in records_of(row) {
                records.push(r);
                ids.push(id.clone());
            }
            known.insert(id);
        }
        let index = Index::build(&records);
        drop(records);
        let model = (known.len() >= min.max(1)).then(|| train(&index));
        Matcher {
            built: index.len(),
            index,
            model,
            ids,
            known,
        }
    }

    /// Persons known.
    pub fn persons(&self) -> usize {
        self.known.len()
    }

    pub fn is_trained(&self) -> bool {
        self.model.is_some()
    }

    /// Add (or, after an edit, add again: the newer data is found too) one person.
    pub fn push(&mut self, row: &MatchRow) {
        let id: Arc<str> = Arc::from(row.id.as_str());
        for r in records_of(row) {
            // Index ids are dense: the pushed record's id is the current length.
            self.index.push(&r);
            self.ids.push(id.clone());
        }
        self.known.insert(id);
    }

    /// Likely existing persons for `probe`, best first, one entry per person, at most `max`:
    /// those the model sends to review or matches, those above [`WARN_FLOOR`], and any whose
    /// passport or citizen id is exactly the one typed. `None` when untrained.
    pub fn candidates(&self, probe: &Probe, max: usize) -> Option<Vec<Found>> {
        let model = self.model.as_ref()?;
        let rec = probe.record();
        let mut out: Vec<Found> = Vec::new();
        for c in model.candidates(&rec, &self.index, max.saturating_mul(3).max(10)) {
            let Some(id) = self.ids.get(c.reg_idx) else {
                continue;
            };
            if out.iter().any(|f| *f.person_id == **id) {
                continue;
            }
            let found = found_of(id, &c);
            if found.decision != Decision::NonMatch
                || found.probability >= WARN_FLOOR
                || found.same_document
            {
                out.push(found);
            }
        }
        out.sort_by(|a, b| b.probability.total_cmp(&a.probability));
        out.truncate(max);
        Some(out)
    }

    /// Records pushed since the build (their term frequencies are missing).
    fn pushed(&self) -> usize {
        self.index.len().saturating_sub(self.built)
    }
}

fn found_of(id: &str, c: &Candidate) -> Found {
    let level = |field: &str| {
        c.explanation
            .fields
            .iter()
            .find(|f| f.field == field)
            .filter(|f| f.level != "null")
    };
    let mut reasons = Vec::new();
    // The name: the weaker of family and given name (the middle name only adds when both
    // agree); its weight is the sum of the three.
    let name_parts: Vec<_> = ["family_name", "given_name", "middle_name"]
        .iter()
        .filter_map(|f| level(f))
        .collect();
    if !name_parts.is_empty() {
        let rank = |l: &str| match l {
            "exact" => 0,
            "phonetic" => 1,
            "fuzzy" | "partial" | "two edits" | "one missing" => 2,
            _ => 3,
        };
        let worst = name_parts
            .iter()
            .filter(|f| f.field != "middle_name")
            .map(|f| rank(&f.level))
            .max()
            .unwrap_or(3);
        reasons.push(Reason {
            field: "name",
            level: ["same", "sounds_alike", "similar", "different"][worst],
            agrees: name_parts.iter().map(|f| f.log2_weight).sum::<f64>() > 0.0,
        });
    }
    if let Some(f) = level("dob") {
        let l = match &*f.level {
            "exact" => "same",
            "day/month swapped" => "swapped",
            "one digit off" => "one_digit",
            "partial, agrees" => "partial",
            "year and month" => "same_month",
            "year" => "same_year",
            "year ±1" => "year_apart",
            _ => "different",
        };
        reasons.push(Reason {
            field: "born",
            level: l,
            agrees: f.log2_weight > 0.0,
        });
    }
    if let Some(f) = level("sex") {
        reasons.push(Reason {
            field: "sex",
            level: if f.level == "equal" {
                "same"
            } else {
                "different"
            },
            agrees: f.log2_weight > 0.0,
        });
    }
    if let Some(f) = level("hometown") {
        reasons.push(Reason {
            field: "hometown",
            level: if f.level.starts_with("same") {
                "same"
            } else {
                "different"
            },
            agrees: f.log2_weight > 0.0,
        });
    }
    let mut same_document = false;
    for (field, shown) in [("passport", "passport"), ("national_id", "national_id")] {
        if let Some(f) = level(field) {
            let l = match &*f.level {
                "exact" => "same",
                "one edit" => "one_char",
                _ => "different",
            };
            same_document |= l == "same";
            reasons.push(Reason {
                field: shown,
                level: l,
                agrees: f.log2_weight > 0.0,
            });
        }
    }
    Found {
        person_id: id.to_owned(),
        probability: c.probability,
        decision: c.decision,
        reasons,
        same_document,
    }
}

#[derive(Default)]
struct Inner {
    matcher: Option<Matcher>,
    /// A build is running: persons written meanwhile are kept here too, and pushed into the
    /// new index unless its read of the store already had them.
    building: bool,
    pending: Vec<MatchRow>,
}

/// The matcher service held in [`crate::AppState`].
pub struct Dupes {
    inner: RwLock<Inner>,
    ready: watch::Sender<Readiness>,
    store: Arc<dyn Store>,
    keys: Arc<Keyring>,
    clock: Clock,
}

impl Dupes {
    pub fn new(store: Arc<dyn Store>, keys: Arc<Keyring>, clock: Clock) -> Arc<Self> {
        Arc::new(Self {
            inner: RwLock::new(Inner::default()),
            ready: watch::Sender::new(Readiness::Building),
            store,
            keys,
            clock,
        })
    }

    pub fn readiness(&self) -> Readiness {
        *self.ready.borrow()
    }

    /// Wait until the first build has finished (whatever its outcome) and say how it ended.
    /// Tests await this instead of sleeping.
    pub async fn settled(&self) -> Readiness {
        let mut rx = self.ready.subscribe();
        match rx.wait_for(|r| *r != Readiness::Building).await {
            Ok(r) => *r,
            Err(_) => self.readiness(),
        }
    }

    /// Likely existing persons, or `None` when the matcher cannot answer yet (the caller
    /// falls back to the text search).
    pub fn candidates(&self, probe: &Probe, max: usize) -> Option<Vec<Found>> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner.matcher.as_ref()?.candidates(probe, max)
    }

    /// A person was created or edited through the server: make them findable now. Starts a
    /// rebuild in the background when the index has grown past what its training saw (or
    /// crossed [`MIN_REGISTRY`]).
    pub fn add(self: &Arc<Self>, rec: &PersonRecord) {
        let row = row_of(rec);
        let rebuild = {
            let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
            if inner.building {
                inner.pending.push(row.clone());
            }
            match inner.matcher.as_mut() {
                Some(m) => {
                    m.push(&row);
                    let stale = if m.is_trained() {
                        m.pushed() > (m.built / 5).max(MIN_REGISTRY)
                    } else {
                        m.persons() >= MIN_REGISTRY
                    };
                    stale && !inner.building
                }
                None => false,
            }
        };
        if rebuild {
            self.spawn_build();
        }
    }

    /// Build (again) in the background.
    pub fn spawn_build(self: &Arc<Self>) {
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.build().await {
                tracing::error!(error = %e, "duplicate matcher build failed; intake uses text search");
            }
        });
    }

    /// Read the registry from the store and replace the index. One build at a time; a call
    /// while one runs returns at once.
    pub async fn build(self: &Arc<Self>) -> Result<(), StoreError> {
        {
            let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
            if inner.building {
                return Ok(());
            }
            inner.building = true;
            inner.pending.clear();
        }
        let res = self.read_and_build().await;
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.building = false;
        let pending = std::mem::take(&mut inner.pending);
        match res {
            Ok(mut m) => {
                for row in &pending {
                    if !m.known.contains(row.id.as_str()) {
                        m.push(row);
                    }
                }
                let state = if m.is_trained() {
                    Readiness::Ready
                } else {
                    Readiness::TooSmall
                };
                tracing::info!(
                    persons = m.persons(),
                    records = m.index.len(),
                    trained = m.is_trained(),
                    "duplicate matcher built"
                );
                inner.matcher = Some(m);
                drop(inner);
                self.ready.send_replace(state);
                Ok(())
            }
            Err(e) => {
                drop(inner);
                if self.readiness() == Readiness::Building {
                    self.ready.send_replace(Readiness::Failed);
                }
                Err(e)
            }
        }
    }

    async fn read_and_build(&self) -> Result<Matcher, StoreError> {
        let t0 = std::time::Instant::now();
        let feed = RegistryFeed::new(self.store.as_ref(), self.keys.clone());
        feed.audit_build(self.store.as_ref(), (self.clock)())
            .await?;
        let mut rows: Vec<MatchRow> = Vec::new();
        let mut after = 0;
        loop {
            let page = feed.page(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.rid;
            rows.extend(page);
        }
        let read_ms = t0.elapsed().as_millis();
        let m = tokio::task::spawn_blocking(move || Matcher::build(&rows))
            .await
            .map_err(|e| StoreError::Unavailable(format!("matcher build: {e}")))?;
        tracing::info!(
            read_ms,
            total_ms = t0.elapsed().as_millis(),
            "duplicate matcher index read and trained"
        );
        Ok(m)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(id: &str, name: &str, birth: &str) -> MatchRow {
        MatchRow {
            rid: 0,
            id: id.into(),
            full_name: name.into(),
            other_names: String::new(),
            birth: PartialDate::parse(birth).ok(),
            sex: Sex::Male,
            hometown: "Nghệ An".into(),
            passports: vec![],
            national_ids: vec![],
        }
    }

    fn synthetic(n: usize) -> Vec<MatchRow> {
        let mut g = baoho_gen::Generator::new(99);
        (0..n).map(|i| row_of_synthetic(i, &g.person())).collect()
    }

    fn probe(name: &str, birth: &str) -> Probe {
        Probe {
            name: name.into(),
            birth: PartialDate::parse(birth).ok(),
            ..Probe::default()
        }
    }

    #[test]
    fn other_names_are_records_of_the_same_person() {
        let mut r = row("p1", "Nguyễn Văn Thành", "1990-05-12");
        r.other_names = "Thành Nguyễn; Nguyen Thanh, Nguyễn Văn Thành".into();
        let recs = records_of(&r);
        assert_eq!(recs.len(), 3);
        assert!(recs.iter().all(|x| x.dob.as_deref() == Some("1990-05-12")));
    }

    #[test]
    fn a_small_registry_is_not_trained_and_answers_none() {
        let m = Matcher::build(&[row("p1", "Nguyễn Văn Thành", "1990-05-12")]);
        assert!(!m.is_trained());
        assert_eq!(
            m.candidates(&probe("NGUYEN VAN THANH", "1990-05-12"), 5),
            None
        );
    }

    #[test]
    fn finds_pushed_persons_and_explains_with_known_words() {
        let mut rows = synthetic(300);
        rows.push(row("known", "Nguyễn Văn Thành", "1990-05-12"));
        rows.push(row("namesake", "Nguyễn Văn Thành", "1971-01-20"));
        let mut m = Matcher::build(&rows);
        assert!(m.is_trained());
        let found = m
            .candidates(&probe("Thanh Van Nguyen", "12/05/1990"), 10)
            .unwrap();
        assert_eq!(found.first().map(|f| f.person_id.as_str()), Some("known"));
        assert_ne!(found[0].decision, Decision::NonMatch);
        if let Some(i) = found.iter().position(|f| f.person_id == "namesake") {
            assert!(i > 0);
        }
        // Every reason is one the page knows how to say.
        for f in &found {
            for r in &f.reasons {
                let levels = warning::REASON_KEYS
                    .iter()
                    .find(|(field, _)| *field == r.field)
                    .map(|(_, l)| *l)
                    .unwrap();
                assert!(levels.contains(&r.level), "{r:?}");
            }
        }
        // Someone recorded after the build is found at once, with a document.
        let mut late = row("late", "Đặng Thị Xuân Mai", "2002-02-28");
        late.passports = vec!["N9876543".into()];
        m.push(&late);
        let found = m
            .candidates(&probe("DANG THI XUAN MAI", "2002-02-28"), 10)
            .unwrap();
        assert_eq!(found.first().map(|f| f.person_id.as_str()), Some("late"));
        let by_doc = m
            .candidates(
                &Probe {
                    name: "Dang Mai".into(),
                    passport: "N9876543".into(),
                    ..Probe::default()
                },
                10,
            )
            .unwrap();
        let hit = by_doc.iter().find(|f| f.person_id == "late").unwrap();
        assert!(hit.same_document);
        // One entry per person, even with several records (an edit pushed again).
        m.push(&late);
        let found = m
            .candidates(&probe("DANG THI XUAN MAI", "2002-02-28"), 10)
            .unwrap();
        assert_eq!(found.iter().filter(|f| f.person_id == "late").count(), 1);
    }
}
