//! The tests' words: who a story needs (`officer("off.t", TOKYO)`), what they do
//! (`officer.open_case(..)`, `officer.refer(&case, ..)`, `police.answer_referral(..)`,
//! `head.approve_closure(&case, v)`), and what they see (`officer.case(&case)`, a typed
//! [`CaseView`]; `officer.queue()`, the store's `WorkQueue`). Each action returns an
//! [`Outcome`]: its typed result, or the [`Refusal`] (status and body) the server answered
//! with; `.refused(422)` says which refusal a story expects. The raw `get` / `post_form` /
//! `post_json` of [`Staff`] stay for the tests whose point is the HTTP itself (bad input, the
//! access matrix, the problem+json shape, the page forms).

use super::{Staff, TestApp};
use baoho_domain::access::Role;
use baoho_domain::person::{Document, DocumentKind};
use baoho_store::{CaseEvent, CasePage, CaseSummary, Referral, WorkQueue};

// The typed forms and answers the stories speak in.
pub use baoho_domain::case::Status;
pub use baoho_domain::person::PersonInput;
pub use baoho_store::cases::transfers::Transfer;
pub use baoho_store::testing::{override_referral, referral};
pub use baoho_store::{CaseIntake, NewEvent, NewReferral as ReferralRequest};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Debug;

pub const TOKYO: &str = "EMB-JP-TOKYO";
pub const OSAKA: &str = "CG-JP-OSAKA";
pub const SEOUL: &str = "EMB-KR-SEOUL";

// ---------------------------------------------------------------------------------------------
// The cast

/// One account a story needs: a username, a role, an agency.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    pub username: &'static str,
    pub role: Role,
    pub agency: &'static str,
}

/// A mission officer.
pub fn officer(username: &'static str, mission: &'static str) -> Member {
    Member {
        username,
        role: Role::MissionOfficer,
        agency: mission,
    }
}

/// A head of mission.
pub fn head(username: &'static str, mission: &'static str) -> Member {
    Member {
        username,
        role: Role::HeadOfMission,
        agency: mission,
    }
}

/// The liaison of the Ministry of Public Security.
pub fn police(username: &'static str) -> Member {
    Member {
        username,
        role: Role::PartnerLiaison,
        agency: "MPS",
    }
}

/// The liaison of the Ministry of National Defence.
pub fn defence(username: &'static str) -> Member {
    Member {
        username,
        role: Role::PartnerLiaison,
        agency: "MND",
    }
}

/// Someone of the consular department at headquarters, in `role`.
pub fn at_hq(username: &'static str, role: Role) -> Member {
    Member {
        username,
        role,
        agency: "CD",
    }
}

pub fn hq(username: &'static str) -> Member {
    at_hq(username, Role::HqOfficer)
}

pub fn auditor(username: &'static str) -> Member {
    at_hq(username, Role::Auditor)
}

impl TestApp {
    /// Create the accounts a story needs (each enrolled in the second factor); their ids, in
    /// the order given.
    pub async fn with_staff(&self, cast: &[Member]) -> Vec<String> {
        let mut ids = Vec::with_capacity(cast.len());
        for m in cast {
            ids.push(self.account(m.username, m.role, m.agency, true).await);
        }
        ids
    }

    /// Signed out: a JSON answer that must come (200).
    pub async fn read<T: DeserializeOwned>(&self, path: &str) -> T {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.expect("JSON")
    }

    /// Signed out: a GET with these request headers.
    pub async fn get_with_headers(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request")
    }

    /// Create one account and sign it in.
    pub async fn join(&self, m: Member) -> Staff<'_> {
        self.with_staff(&[m]).await;
        self.login(m.username).await
    }
}

// ---------------------------------------------------------------------------------------------
// The forms

/// The country of a mission's code (`EMB-JP-TOKYO` is in `JP`).
fn country_of(mission: &str) -> String {
    mission.split('-').nth(1).unwrap_or_default().to_owned()
}

/// A person to record: a name, where they are (the mission's country), the mission.
pub fn person(full_name: &str, mission: &str) -> PersonInput {
    PersonInput {
        full_name: full_name.into(),
        country: country_of(mission),
        mission: mission.into(),
        ..Default::default()
    }
}

/// A passport of that number.
pub fn passport(number: &str) -> Document {
    Document {
        kind: DocumentKind::Passport,
        number: number.into(),
        issuing_country: String::new(),
        issued_by: String::new(),
        issued_on: None,
        expires_on: None,
    }
}

/// A case of `case_type` in the mission's country, high priority, from the mission itself.
pub fn case_of(case_type: &str, mission: &str, summary: &str) -> CaseIntake {
    CaseIntake {
        case_type: case_type.into(),
        priority: "high".into(),
        channel: "mission".into(),
        country: country_of(mission),
        mission: mission.into(),
        summary: summary.into(),
        ..Default::default()
    }
}

/// How a case came in and what it is about, said of its draft:
/// `case_of("arrest", TOKYO, "…").urgent().by_hotline().about(&[&p.id])`.
pub trait CaseDraft: Sized {
    fn with_priority(self, priority: &str) -> Self;
    fn through(self, channel: &str) -> Self;
    fn in_city(self, city: &str) -> Self;
    /// The persons of the registry the case is about (their ids).
    fn about(self, persons: &[&str]) -> Self;
    /// The case type's own fields.
    fn with_details(self, fields: &[(&str, &str)]) -> Self;

    fn urgent(self) -> Self {
        self.with_priority("urgent")
    }
    fn normal(self) -> Self {
        self.with_priority("normal")
    }
    fn by_hotline(self) -> Self {
        self.through("hotline")
    }
    fn via_partner(self) -> Self {
        self.through("partner")
    }
}

impl CaseDraft for CaseIntake {
    fn with_priority(self, priority: &str) -> Self {
        CaseIntake {
            priority: priority.into(),
            ..self
        }
    }
    fn through(self, channel: &str) -> Self {
        CaseIntake {
            channel: channel.into(),
            ..self
        }
    }
    fn in_city(self, city: &str) -> Self {
        CaseIntake {
            city: city.into(),
            ..self
        }
    }
    fn about(self, persons: &[&str]) -> Self {
        let persons = persons.iter().map(|p| (*p).to_owned()).collect();
        CaseIntake { persons, ..self }
    }
    fn with_details(self, fields: &[(&str, &str)]) -> Self {
        CaseIntake {
            details: details(fields),
            ..self
        }
    }
}

/// The type's own fields of a case (`details`), from pairs.
pub fn details(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A timeline entry with a kind and a text.
pub fn entry(kind: &str, body: &str) -> NewEvent {
    NewEvent {
        kind: kind.into(),
        body: body.into(),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// What the server answers

/// A case as its officer reads it through the API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CaseView {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub version: i64,
    pub details: BTreeMap<String, String>,
    pub persons: Vec<String>,
    pub members: Vec<String>,
    pub checks_done: Vec<i64>,
    pub events: Vec<CaseEvent>,
}

impl std::ops::Deref for CaseView {
    type Target = CaseSummary;
    fn deref(&self) -> &CaseSummary {
        &self.summary
    }
}

impl CaseView {
    /// The timeline entries of one kind, newest first (as the API lists them).
    pub fn events_of(&self, kind: &str) -> Vec<&CaseEvent> {
        self.events.iter().filter(|e| e.kind == kind).collect()
    }
}

/// A person the registry recorded (the API's answer, of which the tests need the id).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PersonRef {
    pub id: String,
}

/// What names a case in a story: a view of it or its id.
pub trait CaseId {
    fn case_id(&self) -> &str;
}
impl CaseId for CaseView {
    fn case_id(&self) -> &str {
        &self.summary.id
    }
}
impl CaseId for str {
    fn case_id(&self) -> &str {
        self
    }
}
impl CaseId for String {
    fn case_id(&self) -> &str {
        self
    }
}

/// An answer other than the one the story's step hoped for.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Refusal {
    /// The body as an RFC 9457 problem document (its content type checked).
    pub fn problem(&self) -> Value {
        assert_eq!(self.content_type, "application/problem+json", "{self:?}");
        serde_json::from_str(&self.body).expect("a problem document")
    }

    /// The fields the problem document names in its `errors`.
    pub fn fields(&self) -> Vec<String> {
        self.problem()["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().expect("field").to_owned())
            .collect()
    }
}

/// A step's typed result, or how the server refused it.
pub type Outcome<T> = Result<T, Refusal>;

/// "Expect a refusal with status N".
pub trait Refused: Sized {
    /// The refusal, which must carry `status` (panics on success or another status).
    #[track_caller]
    fn refused(self, status: u16) -> Refusal {
        self.refused_as(status, "")
    }

    /// The same, `context` naming the case in a loop.
    fn refused_as(self, status: u16, context: &str) -> Refusal;
}

impl<T: Debug> Refused for Outcome<T> {
    #[track_caller]
    fn refused_as(self, status: u16, context: &str) -> Refusal {
        match self {
            Ok(v) => panic!("{context}: expected a refusal with {status}, got {v:?}"),
            Err(r) => {
                assert_eq!(r.status, status, "{context}: {r:?}");
                r
            }
        }
    }
}

/// The same on a raw response: its status, and its body kept.
pub async fn refusal(res: reqwest::Response) -> Refusal {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = res.text().await.expect("body");
    Refusal {
        status,
        content_type,
        body,
    }
}

/// `ok` means the step was done: the body parsed as `T`; anything else is a refusal.
async fn parsed<T: DeserializeOwned>(res: reqwest::Response, ok: u16) -> Outcome<T> {
    if res.status() == ok {
        Ok(res.json().await.expect("the answer's JSON"))
    } else {
        Err(refusal(res).await)
    }
}

/// `ok` means the step was done (no body); anything else is a refusal.
async fn done(res: reqwest::Response, ok: u16) -> Outcome<()> {
    if res.status() == ok {
        Ok(())
    } else {
        Err(refusal(res).await)
    }
}

/// A page form accepted: the 303 and where it sends the browser.
async fn redirected(res: reqwest::Response) -> Outcome<String> {
    if res.status() == 303 {
        Ok(res.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned())
    } else {
        Err(refusal(res).await)
    }
}

// ---------------------------------------------------------------------------------------------
// What the staff do

impl Staff<'_> {
    /// A page (HTML) that must open (200).
    pub async fn page(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        r.text().await.expect("page")
    }

    /// A JSON answer that must come (200).
    pub async fn read<T: DeserializeOwned>(&self, path: &str) -> T {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.expect("JSON")
    }

    /// A page form sent: on 303, where it leads.
    pub async fn submit(&self, path: &str, form: &[(&str, &str)]) -> Outcome<String> {
        redirected(self.post_form(path, form).await).await
    }

    /// A form of the case page (`/cases/{id}/{action}`) sent: on 303, where it leads.
    pub async fn on_case_page(
        &self,
        case: &(impl CaseId + ?Sized),
        action: &str,
        form: &[(&str, &str)],
    ) -> Outcome<String> {
        let path = format!("/cases/{}/{action}", case.case_id());
        self.submit(&path, form).await
    }

    /// What `step` returned, and how many `Denied` rows it left for this account.
    pub async fn counting_denials<T>(&self, step: impl Future<Output = T>) -> (T, usize) {
        let before = self.denied().await;
        let out = step.await;
        (out, self.denied().await - before)
    }

    /// `POST /api/v1/cases/{case}/{tail}` with `body`: done on 204.
    async fn case_post(&self, case: &str, tail: &str, body: Value) -> Outcome<()> {
        let path = format!("/api/v1/cases/{case}/{tail}");
        done(self.post_json(&path, &body).await, 204).await
    }

    /// `PUT /api/v1/cases/{case}/{tail}` with `body`: done on 204.
    async fn case_put(&self, case: &str, tail: &str, body: Value) -> Outcome<()> {
        let path = format!("/api/v1/cases/{case}/{tail}");
        done(self.put_json(&path, &body).await, 204).await
    }

    // --- persons

    /// Record a person through the API.
    pub async fn record_person(&self, p: &PersonInput) -> Outcome<PersonRef> {
        let body = serde_json::to_value(p).expect("person");
        parsed(self.post_json("/api/v1/persons", &body).await, 201).await
    }

    /// Who the registry says this person may already be (the intake's duplicate check).
    pub async fn possible_duplicates(&self, query: &Value) -> Value {
        let r = self.post_json("/api/v1/persons/duplicates", query).await;
        assert_eq!(r.status(), 200, "{query}");
        r.json().await.expect("candidates")
    }

    // --- cases

    /// Open a case through the API.
    pub async fn open_case(&self, intake: &CaseIntake) -> Outcome<CaseView> {
        let body = serde_json::to_value(intake).expect("intake");
        parsed(self.post_json("/api/v1/cases", &body).await, 201).await
    }

    /// Read a case through the API.
    pub async fn case(&self, case: &(impl CaseId + ?Sized)) -> Outcome<CaseView> {
        let path = format!("/api/v1/cases/{}", case.case_id());
        parsed(self.get(&path).await, 200).await
    }

    /// The case list's API with these filters (`status=open&case_type=arrest`).
    pub async fn cases_where(&self, query: &str) -> CasePage {
        self.read(&format!("/api/v1/cases?{query}")).await
    }

    /// How many cases this account's list holds.
    pub async fn cases_total(&self) -> i64 {
        self.cases_where("").await.total
    }

    /// The case list's free-text search.
    pub async fn search_cases(&self, q: &str) -> CasePage {
        let q = serde_urlencoded::to_string([("q", q)]).expect("query");
        self.cases_where(&q).await
    }

    /// "What needs me".
    pub async fn queue(&self) -> WorkQueue {
        self.read("/api/v1/queue").await
    }

    /// Add an entry to the case's timeline.
    pub async fn add_event(&self, case: &(impl CaseId + ?Sized), e: &NewEvent) -> Outcome<()> {
        self.case_post(
            case.case_id(),
            "events",
            serde_json::to_value(e).expect("event"),
        )
        .await
    }

    /// Replace the type's own fields, at `version`.
    pub async fn edit_details(
        &self,
        case: &(impl CaseId + ?Sized),
        version: i64,
        fields: &[(&str, &str)],
    ) -> Outcome<()> {
        self.case_put(
            case.case_id(),
            "details",
            json!({"version": version, "details": details(fields)}),
        )
        .await
    }

    /// Move the case to `status`, at `version`.
    pub async fn set_status(
        &self,
        case: &(impl CaseId + ?Sized),
        version: i64,
        status: &str,
    ) -> Outcome<()> {
        self.case_post(
            case.case_id(),
            "status",
            json!({"version": version, "status": status}),
        )
        .await
    }

    /// Ask for the resolved case to be closed, at `version`.
    pub async fn request_closure(
        &self,
        case: &(impl CaseId + ?Sized),
        version: i64,
    ) -> Outcome<()> {
        self.case_post(case.case_id(), "close-request", json!({"version": version}))
            .await
    }

    /// Approve the closure someone else asked for, at `version`.
    pub async fn approve_closure(
        &self,
        case: &(impl CaseId + ?Sized),
        version: i64,
    ) -> Outcome<()> {
        self.case_post(
            case.case_id(),
            "close-approval",
            json!({"version": version}),
        )
        .await
    }

    /// Make `account` the case's lead officer.
    pub async fn assign(&self, case: &(impl CaseId + ?Sized), account: &str) -> Outcome<()> {
        self.case_post(case.case_id(), "assign", json!({"account": account}))
            .await
    }

    /// Tick (or untick) an item of the type's checklist.
    pub async fn check(
        &self,
        case: &(impl CaseId + ?Sized),
        item: usize,
        ticked: bool,
    ) -> Outcome<()> {
        self.case_put(
            case.case_id(),
            &format!("checklist/{item}"),
            json!({"done": ticked}),
        )
        .await
    }

    /// Record the consular-access dates (`arrested`, `notified`, …).
    pub async fn record_consular_access(
        &self,
        case: &(impl CaseId + ?Sized),
        dates: &[(&str, &str)],
    ) -> Outcome<()> {
        self.case_put(
            case.case_id(),
            "consular-access",
            serde_json::to_value(details(dates)).expect("dates"),
        )
        .await
    }

    /// Add a person of the registry to the case.
    pub async fn link_person(&self, case: &(impl CaseId + ?Sized), person: &str) -> Outcome<()> {
        self.case_post(case.case_id(), "persons", json!({"person_id": person}))
            .await
    }

    /// Remove a person added by mistake, saying why.
    pub async fn unlink_person(
        &self,
        case: &(impl CaseId + ?Sized),
        person: &str,
        reason: &str,
    ) -> Outcome<()> {
        self.case_post(
            case.case_id(),
            &format!("persons/{person}/removal"),
            json!({"reason": reason}),
        )
        .await
    }

    /// Upload a file to the case through the API.
    pub async fn attach(
        &self,
        case: &(impl CaseId + ?Sized),
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Outcome<Value> {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
        );
        let path = format!("/api/v1/cases/{}/attachments", case.case_id());
        parsed(self.post_multipart(&path, form).await, 201).await
    }

    // --- referrals and the partner inbox

    /// Refer the case to an agency or a partner state.
    pub async fn refer(
        &self,
        case: &(impl CaseId + ?Sized),
        r: &ReferralRequest,
    ) -> Outcome<Referral> {
        let path = format!("/api/v1/cases/{}/referrals", case.case_id());
        let body = serde_json::to_value(r).expect("referral");
        parsed(self.post_json(&path, &body).await, 201).await
    }

    /// The case's referrals.
    pub async fn referrals(&self, case: &(impl CaseId + ?Sized)) -> Vec<Referral> {
        self.read(&format!("/api/v1/cases/{}/referrals", case.case_id()))
            .await
    }

    /// One referral of the case.
    pub async fn referral(&self, case: &(impl CaseId + ?Sized), id: &str) -> Referral {
        let all = self.referrals(case).await;
        all.into_iter()
            .find(|r| r.id == id)
            .expect("the referral is listed")
    }

    /// Approve a referral without consent that someone else asked for.
    pub async fn approve_referral(&self, case: &(impl CaseId + ?Sized), id: &str) -> Outcome<()> {
        self.case_post(
            case.case_id(),
            &format!("referrals/{id}/approval"),
            json!({}),
        )
        .await
    }

    /// Record on the case a partner state's answer to a referral sent by letter.
    pub async fn record_state_answer(
        &self,
        case: &(impl CaseId + ?Sized),
        id: &str,
        status: &str,
        note: &str,
    ) -> Outcome<()> {
        self.case_post(
            case.case_id(),
            &format!("referrals/{id}/answer"),
            json!({"status": status, "note": note}),
        )
        .await
    }

    /// A partner agency answers a referral from its inbox.
    pub async fn answer_referral(&self, id: &str, status: &str, note: &str) -> Outcome<String> {
        let path = format!("/inbox/{id}");
        self.submit(&path, &[("status", status), ("note", note)])
            .await
    }

    // --- transfers

    /// Ask another mission to take the case over.
    pub async fn transfer(
        &self,
        case: &(impl CaseId + ?Sized),
        to_mission: &str,
        reason: &str,
    ) -> Outcome<Transfer> {
        let path = format!("/api/v1/cases/{}/transfers", case.case_id());
        let body = json!({"to_mission": to_mission, "reason": reason});
        parsed(self.post_json(&path, &body).await, 201).await
    }

    /// Take over a case from the receiving mission's queue.
    pub async fn accept_transfer(&self, transfer: &Transfer) -> Outcome<String> {
        let path = format!("/transfers/{}/accept", transfer.id);
        self.submit(&path, &[]).await
    }
}
