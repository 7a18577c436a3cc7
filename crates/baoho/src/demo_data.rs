//! The demo's people and logins: synthetic persons from baoho-gen (never a real person) spread
//! over a few missions, and one account per role. Demo accounts have MFA enrolled with a
//! random secret; the demo server (and only it) shows their current code on the login page.

use anyhow::Context;
use baoho_domain::access::{Agency, AgencyKind, Restricted, Role};
use baoho_domain::person::{Contact, Document, DocumentKind, NextOfKin, PersonInput, Sex};
use baoho_server::auth;
use baoho_store::audit::{AuditAction, AuditEntry, AuditOutcome};
use baoho_store::{AccessCtx, Accounts, Keyring, NewAccount, Persons, Store};
use std::sync::Arc;

/// The demo's password for every demo account (a demo database only; printed at start).
pub const DEMO_PASSWORD: &str = "baoho-demo-2026";

/// (username, name, role, agency code, supervisor username)
const ACCOUNTS: &[(&str, &str, Role, &str, Option<&str>)] = &[
    ("hq.officer", "Trần Minh Quân", Role::HqOfficer, "CD", None),
    (
        "tokyo.head",
        "Lê Thu Hà",
        Role::HeadOfMission,
        "EMB-JP-TOKYO",
        None,
    ),
    (
        "tokyo.officer",
        "Phạm Đức Anh",
        Role::MissionOfficer,
        "EMB-JP-TOKYO",
        Some("tokyo.head"),
    ),
    (
        "seoul.officer",
        "Vũ Thị Lan",
        Role::MissionOfficer,
        "EMB-KR-SEOUL",
        None,
    ),
    (
        "police.liaison",
        "Đỗ Văn Hải",
        Role::PartnerLiaison,
        "MPS",
        None,
    ),
    ("analyst", "Ngô Thanh Bình", Role::Analyst, "CD", None),
    ("admin", "Hoàng Quốc Việt", Role::Administrator, "CD", None),
    ("auditor", "Bùi Thị Mai", Role::Auditor, "CD", None),
];

/// Where the demo's persons are: (country, mission, weight).
const PLACES: &[(&str, &str, u32)] = &[
    ("JP", "EMB-JP-TOKYO", 30),
    ("KR", "EMB-KR-SEOUL", 20),
    ("TW", "", 10),
    ("MY", "EMB-MY-KUALALUMPUR", 10),
    ("KH", "EMB-KH-PHNOMPENH", 10),
    ("DE", "EMB-DE-BERLIN", 8),
    ("RU", "EMB-RU-MOSCOW", 6),
    ("AE", "EMB-AE-ABUDHABI", 6),
];

fn agency(code: &str) -> Agency {
    let kind = match code {
        "CD" => AgencyKind::ConsularDepartment,
        "MPS" => AgencyKind::PublicSecurity,
        "MND" => AgencyKind::NationalDefence,
        _ => AgencyKind::Mission,
    };
    Agency {
        kind,
        code: code.into(),
    }
}

/// Seed a new demo database (does nothing if accounts exist). Returns whether it seeded.
pub async fn seed(store: &dyn Store, keys: &Arc<Keyring>, persons: usize) -> anyhow::Result<bool> {
    let accounts = Accounts::new(store);
    if !accounts.list().await?.is_empty() {
        return Ok(false);
    }
    let now = chrono::Utc::now();
    let hash = auth::hash_password(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut ids = std::collections::HashMap::new();
    for (username, name, role, code, sup) in ACCOUNTS {
        let a = accounts
            .create(
                &NewAccount {
                    username: (*username).into(),
                    display_name: (*name).into(),
                    role: *role,
                    agency: agency(code),
                    supervisor_id: sup.and_then(|s| ids.get(s).cloned()),
                    password_hash: hash.clone(),
                    demo: true,
                },
                AuditEntry::system(now, AuditAction::Create, AuditOutcome::Allowed)
                    .purpose("demo seed"),
            )
            .await?;
        let secret = auth::new_totp_secret().map_err(|e| anyhow::anyhow!("{e}"))?;
        let b32 = totp_rs::Secret::from(secret).to_base32();
        let env = keys.encrypt_str(
            &baoho_store::Aad::new("account", "totp_secret", &a.id),
            &b32,
        )?;
        accounts
            .enrol_totp(
                &a.id,
                &env,
                0,
                &[],
                AuditEntry::system(now, AuditAction::Admin, AuditOutcome::Allowed)
                    .purpose("demo mfa"),
            )
            .await?;
        ids.insert(*username, a.id);
    }
    // Each person is entered by the officer who would: Tokyo's and Seoul's by their mission
    // officers, the rest by headquarters. The creator is assigned to the record.
    let mut handles = std::collections::HashMap::new();
    for (username, key) in [
        ("tokyo.officer", "EMB-JP-TOKYO"),
        ("seoul.officer", "EMB-KR-SEOUL"),
        ("hq.officer", ""),
    ] {
        let a = accounts
            .get(ids.get(username).context("demo account")?)
            .await?;
        let who = accounts.identity(&a).await?;
        handles.insert(
            key,
            Persons::new(
                store,
                keys.clone(),
                AccessCtx {
                    who,
                    request_id: "demo-seed".into(),
                    purpose: "demo seed".into(),
                    at: now,
                },
            ),
        );
    }
    let mut g = baoho_gen::Generator::new(20261123);
    let total: u32 = PLACES.iter().map(|p| p.2).sum();
    for i in 0..persons {
        let sp = g.person();
        let mut pick = (i as u32 * 7919) % total;
        let place = PLACES
            .iter()
            .find(|p| {
                if pick < p.2 {
                    true
                } else {
                    pick -= p.2;
                    false
                }
            })
            .unwrap_or(&PLACES[0]);
        let mut documents = vec![Document {
            kind: DocumentKind::CitizenId,
            number: sp.national_id.clone(),
            issuing_country: "VN".into(),
            issued_by: String::new(),
            issued_on: None,
            expires_on: None,
        }];
        if let Some(p) = &sp.passport {
            documents.insert(
                0,
                Document {
                    kind: DocumentKind::Passport,
                    number: p.clone(),
                    issuing_country: "VN".into(),
                    issued_by: "Cục Quản lý xuất nhập cảnh".into(),
                    issued_on: None,
                    expires_on: None,
                },
            );
        }
        let restricted = if i % 17 == 5 {
            vec![Restricted::Trafficking]
        } else {
            vec![]
        };
        let input = PersonInput {
            full_name: sp.full_name(),
            birth: Some(sp.dob),
            sex: match sp.sex {
                baoho_gen::Sex::Male => Sex::Male,
                baoho_gen::Sex::Female => Sex::Female,
            },
            hometown: sp.hometown.clone(),
            nationality: "VN".into(),
            country: place.0.into(),
            mission: place.1.into(),
            restricted,
            documents,
            contacts: vec![Contact {
                kind: "phone".into(),
                value: sp.phone.clone(),
            }],
            next_of_kin: vec![NextOfKin {
                name: format!(
                    "{} {}",
                    sp.family_name,
                    if i % 2 == 0 {
                        "Văn Bình"
                    } else {
                        "Thị Hoa"
                    }
                ),
                relation: if i % 2 == 0 {
                    "bố".into()
                } else {
                    "mẹ".into()
                },
                phone: String::new(),
                address: sp.address.clone(),
            }],
            notes: String::new(),
            ..Default::default()
        };
        let handle = handles
            .get(place.1)
            .or_else(|| handles.get(""))
            .context("demo handle")?;
        let rec = handle.create(input).await?;
        if i % 11 == 3 {
            handle.refer(&rec.id, "MPS").await?;
        }
    }
    Ok(true)
}
