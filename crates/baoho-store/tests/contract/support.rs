//! The cast and the props of the contract stories: a `World` (a fresh store with the reference
//! data and a field key), its `Actor`s (an account of one role at one agency, with the handles
//! the policy issues to it), the forms they fill in, and `verify()`, the consistency check the
//! matrix runs after every story.

use baoho_domain::access::{Agency, AgencyKind, Role};
use baoho_domain::person::{Document, DocumentKind, NextOfKin, PersonInput};
use baoho_store::Identity;
use baoho_store::audit::{AuditAction, AuditEntry, AuditFilter, AuditOutcome};
use baoho_store::outbox::drain_outbox;
use baoho_store::testing::{TestDb, assert_invariants};
pub use baoho_store::testing::{broken_invariants, override_referral, referral};
use baoho_store::{
    AccessCtx, Account, Accounts, Backend, CaseIntake, Cases, Inbox, Keyring, NewAccount, NewEvent,
    Persons, RefData, Session, Store,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;

pub use baoho_domain::access::Restricted as R;
pub use baoho_domain::person::PersonQuery as PQ;
pub use baoho_store::LoginChange as LC;

pub const TOKYO: &str = "EMB-JP-TOKYO";
pub const OSAKA: &str = "CG-JP-OSAKA";
pub const SEOUL: &str = "EMB-KR-SEOUL";
pub const BERLIN: &str = "EMB-DE-BERLIN";

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

// ---------------------------------------------------------------------------------------------
// The world and its actors

/// A store with the reference data loaded and a field key: where the stories take place.
pub struct World<'a> {
    pub s: &'a dyn Store,
    pub keys: Arc<Keyring>,
}

impl<'a> World<'a> {
    pub async fn new(s: &'a dyn Store) -> Self {
        s.load_reference_data(&RefData::embedded()).await.unwrap();
        World {
            s,
            keys: Arc::new(Keyring::generate("k1").unwrap()),
        }
    }

    /// A new account (created by the system) and the identity its sessions will carry.
    pub async fn join(
        &self,
        username: &str,
        role: Role,
        kind: AgencyKind,
        code: &str,
        supervisor: Option<&Actor<'a>>,
    ) -> Actor<'a> {
        let account = Accounts::new(self.s)
            .create(
                &NewAccount {
                    username: username.into(),
                    display_name: format!("Officer {username}"),
                    role,
                    agency: Agency {
                        kind,
                        code: code.into(),
                    },
                    supervisor_id: supervisor.map(|a| a.account.id.clone()),
                    password_hash: "$argon2id$placeholder".into(),
                    demo: false,
                },
                AuditEntry::system(now(), AuditAction::Create, AuditOutcome::Allowed),
            )
            .await
            .unwrap();
        let who = Accounts::new(self.s).identity(&account).await.unwrap();
        Actor {
            s: self.s,
            keys: self.keys.clone(),
            account,
            who,
        }
    }

    /// A mission officer with no supervisor on record.
    pub async fn officer(&self, username: &str, mission: &str) -> Actor<'a> {
        self.join(
            username,
            Role::MissionOfficer,
            AgencyKind::Mission,
            mission,
            None,
        )
        .await
    }

    /// A mission officer reporting to `supervisor`.
    pub async fn officer_under(
        &self,
        username: &str,
        mission: &str,
        supervisor: &Actor<'a>,
    ) -> Actor<'a> {
        let (role, kind) = (Role::MissionOfficer, AgencyKind::Mission);
        self.join(username, role, kind, mission, Some(supervisor))
            .await
    }

    pub async fn head(&self, username: &str, mission: &str) -> Actor<'a> {
        self.join(
            username,
            Role::HeadOfMission,
            AgencyKind::Mission,
            mission,
            None,
        )
        .await
    }

    /// An officer of the consular department at headquarters.
    pub async fn hq(&self, username: &str) -> Actor<'a> {
        let kind = AgencyKind::ConsularDepartment;
        self.join(username, Role::HqOfficer, kind, "CD", None).await
    }

    pub async fn admin(&self, username: &str) -> Actor<'a> {
        let kind = AgencyKind::ConsularDepartment;
        self.join(username, Role::Administrator, kind, "CD", None)
            .await
    }

    pub async fn auditor(&self, username: &str) -> Actor<'a> {
        let kind = AgencyKind::ConsularDepartment;
        self.join(username, Role::Auditor, kind, "CD", None).await
    }

    /// The liaison of the Ministry of Public Security.
    pub async fn police(&self, username: &str) -> Actor<'a> {
        let kind = AgencyKind::PublicSecurity;
        self.join(username, Role::PartnerLiaison, kind, "MPS", None)
            .await
    }

    /// The liaison of the Ministry of National Defence.
    pub async fn defence(&self, username: &str) -> Actor<'a> {
        let kind = AgencyKind::NationalDefence;
        self.join(username, Role::PartnerLiaison, kind, "MND", None)
            .await
    }

    pub fn accounts(&self) -> Accounts {
        Accounts::new(self.s)
    }

    /// The delivery worker's turn at `at`: how many outbox rows it delivered.
    pub async fn deliver(&self, at: DateTime<Utc>) -> u64 {
        drain_outbox(self.s, at, 100).await.unwrap()
    }

    /// Deliver everything still waiting (the end of a story that enqueued deliveries).
    pub async fn deliver_all(&self) -> u64 {
        drain_outbox(self.s, now() + Duration::days(366), 10_000)
            .await
            .unwrap()
    }
}

/// One account with its identity: the handles it gets are scoped to what it may see.
#[derive(Clone)]
pub struct Actor<'a> {
    s: &'a dyn Store,
    keys: Arc<Keyring>,
    pub account: Account,
    pub who: Identity,
}

/// An actor is its account too (`tokyo.id`, `tokyo.username`).
impl std::ops::Deref for Actor<'_> {
    type Target = Account;
    fn deref(&self) -> &Account {
        &self.account
    }
}

impl<'a> Actor<'a> {
    pub fn persons(&self) -> Persons {
        Persons::new(self.s, self.keys.clone(), ctx(&self.who, "req-test", now()))
    }

    /// The cases handle, on a clock that says `now()`.
    pub fn cases(&self) -> Cases {
        self.cases_at(now())
    }

    /// The cases handle, on a clock that says `at`.
    pub fn cases_at(&self, at: DateTime<Utc>) -> Cases {
        cases_as(self.s, &self.keys, &self.who, at)
    }

    /// The cases handle with another keyring (during a key rotation).
    pub fn cases_with(&self, keys: &Arc<Keyring>, at: DateTime<Utc>) -> Cases {
        cases_as(self.s, keys, &self.who, at)
    }

    /// This actor's identity in another role (a promotion the account does not know of yet).
    pub fn as_role(&self, role: Role) -> Identity {
        let mut who = self.who.principal().clone();
        who.role = role;
        Identity::for_tests(who)
    }

    /// This actor's identity once posted to `mission`, whose jurisdiction is `countries`.
    pub fn posted_to(&self, mission: &str, countries: &[&str]) -> Identity {
        let mut who = self.who.principal().clone();
        who.agency.code = mission.into();
        who.jurisdiction = countries.iter().map(|c| (*c).to_owned()).collect();
        Identity::for_tests(who)
    }

    /// A partner liaison's inbox of referrals.
    pub fn inbox_at(&self, at: DateTime<Utc>) -> Inbox {
        Inbox::new(self.s, self.keys.clone(), ctx(&self.who, "r", at))
    }

    /// Record a person (the usual passport and next of kin); returns their id.
    pub async fn new_person(&self, name: &str, country: &str, mission: &str) -> String {
        let p = person(name, country, mission);
        self.persons().create(p).await.unwrap().id
    }

    /// The `Denied` rows this actor has left in the audit trail so far.
    pub async fn denied(&self) -> usize {
        denied_rows(self.s, &self.account.id).await
    }

    /// How many notifications this actor has been delivered.
    pub async fn notices(&self) -> usize {
        let n = Accounts::new(self.s)
            .notifications(&self.account.id, 50)
            .await;
        n.unwrap().len()
    }
}

/// The cases handle of any identity (also one edited by the story: a promotion, a posting).
pub fn cases_as(s: &dyn Store, keys: &Arc<Keyring>, who: &Identity, at: DateTime<Utc>) -> Cases {
    Cases::new(s, keys.clone(), ctx(who, "req-case", at))
}

fn ctx(who: &Identity, request_id: &str, at: DateTime<Utc>) -> AccessCtx {
    AccessCtx {
        who: who.clone(),
        request_id: request_id.into(),
        purpose: String::new(),
        at,
    }
}

pub async fn denied_rows(s: &dyn Store, actor: &str) -> usize {
    s.audit_query(&AuditFilter {
        actor: Some(actor.into()),
        outcome: Some(AuditOutcome::Denied),
        limit: 1000,
        ..Default::default()
    })
    .await
    .unwrap()
    .len()
}

// ---------------------------------------------------------------------------------------------
// The forms

/// A person with a passport, a mother to call, and a note.
pub fn person(name: &str, country: &str, mission: &str) -> PersonInput {
    PersonInput {
        full_name: name.into(),
        birth: baoho_domain::date::PartialDate::parse("1990-05").ok(),
        country: country.into(),
        mission: mission.into(),
        hometown: "Nghệ An".into(),
        documents: vec![Document {
            kind: DocumentKind::Passport,
            number: "C1234567".into(),
            issuing_country: "VN".into(),
            issued_by: "Cục Quản lý xuất nhập cảnh".into(),
            issued_on: Some("2020-01-15".into()),
            expires_on: Some("2030-01-15".into()),
        }],
        next_of_kin: vec![NextOfKin {
            name: "Trần Thị Bé".into(),
            relation: "mẹ".into(),
            phone: "+84 912 345 678".into(),
            address: String::new(),
        }],
        notes: "Held at the immigration centre".into(),
        ..Default::default()
    }
}

/// A search for `text`, the other criteria left out.
pub fn search(text: &str) -> PQ {
    PQ {
        text: text.into(),
        ..Default::default()
    }
}

/// A search for `text` that shows up to a hundred hits.
pub fn search_hundred(text: &str) -> PQ {
    PQ {
        limit: 100,
        ..search(text)
    }
}

/// An urgent case from the hotline, in Osaka, for Tokyo's embassy.
pub fn intake(ty: &str, persons: Vec<String>) -> CaseIntake {
    CaseIntake {
        case_type: ty.into(),
        priority: "urgent".into(),
        channel: "hotline".into(),
        country: "JP".into(),
        city: "Osaka".into(),
        mission: TOKYO.into(),
        summary: "Arrested at a factory raid; family called the hotline".into(),
        reporter: "Trần Văn Cha".into(),
        reporter_contact: "+84 90 000 1111".into(),
        persons,
        // Arrests carry one of their type's own fields (inside the encrypted part).
        details: if ty == "arrest" {
            [("charge".to_owned(), "Cư trú quá hạn".to_owned())]
                .into_iter()
                .collect()
        } else {
            Default::default()
        },
    }
}

/// The same intake, in another country for another mission.
pub fn intake_in(ty: &str, country: &str, mission: &str) -> CaseIntake {
    let mut k = intake(ty, vec![]);
    k.country = country.into();
    k.mission = mission.into();
    k
}

/// A timeline entry with only a kind and a text.
pub fn entry_of(kind: &str, body: &str) -> NewEvent {
    NewEvent {
        kind: kind.into(),
        body: body.into(),
        ..Default::default()
    }
}

pub const UNCONSCIOUS: &str = "Person unconscious in hospital, family cannot be reached";

/// Take a new case (version 1) through assessment to resolved (version 3).
pub async fn resolve(c: &Cases, id: &str) {
    use baoho_domain::case::Status;
    c.set_status(id, 1, Status::Assessed, "").await.unwrap();
    c.set_status(id, 2, Status::Resolved, "").await.unwrap();
}

pub fn session(account: &str, token: &str) -> Session {
    Session {
        token_hash: token.into(),
        account_id: account.into(),
        csrf: "csrf".into(),
        mfa_ok: false,
        created_at: now(),
        last_seen_at: now(),
    }
}

/// The `i`-th audit entry of a consular officer's day, one minute apart.
pub fn audit_entry(i: i64, actor: &str, action: AuditAction, outcome: AuditOutcome) -> AuditEntry {
    AuditEntry::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
            + Duration::minutes(i)
            + Duration::nanoseconds(123_456_789),
        actor,
        action,
        outcome,
    )
    .role("consular_officer")
    .agency("VN-EMB-JP")
    .object("person", format!("p-{i}"))
    .purpose(format!("case C-{i}"))
    .request(format!("req-{i}"))
}

// ---------------------------------------------------------------------------------------------
// The database itself

/// Run raw SQL on the test database, bypassing the Store (the way an intruder would).
pub async fn raw(db: &TestDb, sql: &str) -> Result<u64, sqlx::Error> {
    use sqlx::Connection;
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match db.url.backend() {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(db.url.expose()).await?;
            let n = sqlx::raw_sql(sql).execute(&mut c).await?.rows_affected();
            c.close().await?;
            Ok(n)
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(db.url.expose()).await?;
            let n = sqlx::raw_sql(sql).execute(&mut c).await?.rows_affected();
            c.close().await?;
            Ok(n)
        }
    }
}

/// Let the test edit audit rows (what only someone with DDL rights could do).
pub async fn bypass_triggers(db: &TestDb) {
    let sql = match db.url.backend() {
        Backend::Sqlite => "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;",
        Backend::Postgres => "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
    };
    raw(db, sql).await.unwrap();
}

/// The consistency check after every story (as kanidm's `verify()`): the audit chain is
/// intact, and the case, member, timeline, referral, transfer and outbox invariants hold (the
/// invariants are `baoho_store::testing`'s, shared with the server's integration tests).
pub async fn verify(db: &TestDb) {
    let v = db.store.verify_audit().await.unwrap();
    assert!(v.is_ok(), "the audit chain is broken: {v:?}");
    assert_invariants(db).await;
}

/// `verify()` after a story that tampered with the audit trail on purpose: the chain must be
/// reported broken; everything else must hold as usual.
pub async fn verify_tampered(db: &TestDb) {
    let v = db.store.verify_audit().await.unwrap();
    assert!(v.broken.is_some(), "the tampering went unnoticed: {v:?}");
    assert_invariants(db).await;
}

/// Where an attachment's sealed bytes are in the object store.
pub fn sealed_at(case: &str, attachment: &str) -> object_store::path::Path {
    object_store::path::Path::from(format!("cases/{case}/{attachment}"))
}
