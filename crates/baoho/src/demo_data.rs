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
    // A second administrator: creating or resetting an account that reads files is approved by
    // another administrator than the one who asked (four eyes, ADR 0017).
    ("admin2", "Lý Minh Tâm", Role::Administrator, "CD", None),
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

/// A few of the type's own fields, as an officer would have them after the first call.
fn demo_details(ty: &str, i: usize) -> std::collections::BTreeMap<String, String> {
    let pairs: &[(&str, &str)] = match ty {
        "arrest" => &[
            ("charge", "Vi phạm luật xuất nhập cảnh"),
            ("detaining_authority", "Cảnh sát địa phương"),
        ],
        "detention" => &[
            ("detaining_authority", "Cục Quản lý xuất nhập cảnh"),
            ("place_of_detention", "Trung tâm lưu giữ người nhập cư"),
        ],
        "accident" => &[
            ("hospital", "Bệnh viện đa khoa thành phố"),
            ("condition", "serious"),
        ],
        "illness" => &[("hospital", "Bệnh viện trung tâm"), ("condition", "stable")],
        "death" => &[("remains", "undecided"), ("cause", "Đột quỵ")],
        "lost_documents" => &[("document_lost", "passport")],
        "fishermen" => &[("vessel_name", "QNg 90xxx TS"), ("crew", "7")],
        "scam_centre" => &[
            ("victims", "12"),
            ("location_detail", "Khu đặc khu kinh tế"),
        ],
        "trafficking" => &[("victims", "3")],
        "deportation" => &[
            ("border_gate", "Cửa khẩu quốc tế Mộc Bài"),
            ("persons_on_list", "46"),
        ],
        "evacuation" => &[
            ("citizens", "130"),
            ("assembly_point", "Trụ sở Đại sứ quán"),
        ],
        _ => &[],
    };
    // Every third case is still waiting for its details.
    if i % 3 == 2 {
        return Default::default();
    }
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

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
/// With an attachment store, some cases get a synthetic intake record attached.
pub async fn seed(
    store: &dyn Store,
    keys: &Arc<Keyring>,
    objects: Option<&dyn object_store::ObjectStore>,
    persons: usize,
) -> anyhow::Result<bool> {
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
    let mut identities = std::collections::HashMap::new();
    for (username, key) in [
        ("tokyo.officer", "EMB-JP-TOKYO"),
        ("seoul.officer", "EMB-KR-SEOUL"),
        ("hq.officer", ""),
    ] {
        let a = accounts
            .get(ids.get(username).context("demo account")?)
            .await?;
        let who = accounts.identity(&a).await?;
        identities.insert(key, who.clone());
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
    let mut created: Vec<(String, &str, &str, bool)> = Vec::new();
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
        created.push((rec.id, place.0, place.1, !rec.data.restricted.is_empty()));
    }
    seed_cases(store, keys, objects, &identities, &created, now).await?;
    Ok(true)
}

/// Cases for most demo persons: types weighted as consular work is, opened over the last
/// three weeks (so some are overdue and escalated), and moved along their workflow.
async fn seed_cases(
    store: &dyn Store,
    keys: &Arc<Keyring>,
    objects: Option<&dyn object_store::ObjectStore>,
    identities: &std::collections::HashMap<&str, baoho_store::Identity>,
    persons: &[(String, &str, &str, bool)],
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    use baoho_domain::case::Status;
    use baoho_store::{CaseIntake, Cases, NewEvent};
    const TYPES: &[(&str, &str)] = &[
        ("arrest", "Bị cảnh sát bắt giữ khi làm việc không phép"),
        ("detention", "Đang bị tạm giam chờ xét xử"),
        ("lost_documents", "Mất hộ chiếu trên tàu điện"),
        ("accident", "Tai nạn lao động tại công trường"),
        ("illness", "Nhập viện cấp cứu, gia đình chưa sang được"),
        ("financial", "Bị chủ sử dụng lao động quỵt lương"),
        (
            "death",
            "Tử vong do đột quỵ, gia đình đề nghị đưa tro cốt về nước",
        ),
        (
            "scam_centre",
            "Bị lừa sang làm việc tại cơ sở lừa đảo trực tuyến",
        ),
        ("legal", "Tranh chấp hợp đồng lao động"),
        ("missing", "Gia đình mất liên lạc hơn hai tuần"),
    ];
    let mut state_referrals = 0;
    for (i, (pid, country, mission, restricted)) in persons.iter().enumerate() {
        if i % 6 == 5 {
            continue;
        }
        let (ty, summary) = if *restricted {
            ("trafficking", "Nạn nhân bị ép làm việc, đã được giải cứu")
        } else {
            TYPES[(i * 7) % TYPES.len()]
        };
        let who = identities
            .get(mission)
            .or_else(|| identities.get(""))
            .context("demo identity")?;
        let hours_ago = ((i * 37) % 480) as i64;
        let at = now - chrono::Duration::hours(hours_ago);
        let cases = Cases::new(
            store,
            keys.clone(),
            AccessCtx {
                who: who.clone(),
                request_id: "demo-seed".into(),
                purpose: "demo seed".into(),
                at,
            },
        );
        let priority = ["urgent", "high", "normal", "normal", "low"][i % 5];
        let rec = cases
            .create(CaseIntake {
                case_type: ty.into(),
                priority: priority.into(),
                channel: ["hotline", "mission", "partner"][i % 3].into(),
                country: (*country).into(),
                city: String::new(),
                mission: (*mission).into(),
                summary: summary.into(),
                reporter: String::new(),
                reporter_contact: String::new(),
                persons: vec![pid.clone()],
                details: demo_details(ty, i),
            })
            .await?;
        let id = rec.summary.id;
        // Some cases carry the intake record the officer wrote up, as an attachment.
        if let Some(objects) = objects.filter(|_| i % 9 == 0) {
            let record = format!(
                "BIÊN BẢN TIẾP NHẬN (dữ liệu mô phỏng: người và sự việc đều là giả định)\n\
                 Vụ việc: {}\nKênh: {}\nNội dung: {summary}\n",
                rec.summary.reference,
                ["Đường dây nóng", "Cơ quan đại diện", "Cơ quan phối hợp"][i % 3],
            );
            cases
                .attach(objects, &id, "Biên bản tiếp nhận.txt", record.as_bytes())
                .await?;
        }
        // Arrests and detentions get their consular-access dates; some notifications are late.
        if matches!(ty, "arrest" | "detention") {
            let arrested = at - chrono::Duration::days((i % 6) as i64);
            let notified = arrested + chrono::Duration::days((i % 5) as i64);
            cases
                .set_access_clock(
                    &id,
                    &baoho_domain::case::AccessClock {
                        arrested_at: Some(arrested),
                        notified_at: Some(notified.min(at)),
                        requested_at: Some(notified.min(at)),
                        granted_at: None,
                        visits: vec![],
                    },
                )
                .await?;
        }
        // Scam-centre victims are referred to the police with their consent.
        if ty == "scam_centre" && i % 2 == 0 {
            cases
                .refer(
                    &id,
                    baoho_store::NewReferral {
                        agency: "MPS".into(),
                        purpose: "Xác minh nhân thân, chuẩn bị tiếp nhận về nước".into(),
                        fields: vec!["identity".into(), "documents".into(), "hometown".into()],
                        consent: Some(demo_consent(
                            baoho_store::ConsentPurpose::ReturnReception,
                            at,
                        )),
                        override_reason: String::new(),
                    },
                )
                .await?;
        }
        // Some detentions go to the host state by diplomatic note; half have its answer.
        if ty == "detention" && i % 3 == 0 && !mission.is_empty() {
            let r = cases
                .refer(
                    &id,
                    baoho_store::NewReferral {
                        agency: format!("STATE-{country}"),
                        purpose: "Đề nghị cho thăm lãnh sự và thông báo tội danh".into(),
                        fields: vec!["identity".into(), "documents".into(), "location".into()],
                        consent: Some(demo_consent(
                            baoho_store::ConsentPurpose::LegalProceedings,
                            at,
                        )),
                        override_reason: String::new(),
                    },
                )
                .await?;
            state_referrals += 1;
            if state_referrals % 2 == 0 {
                cases
                    .record_state_answer(
                        &id,
                        &r.id,
                        "accepted",
                        "Công hàm trả lời: đồng ý cho thăm lãnh sự trong tuần này",
                    )
                    .await?;
            }
        }
        // Older cases have moved on.
        let steps: &[Status] = match hours_ago {
            0..=24 => &[],
            25..=120 => &[Status::Assessed],
            121..=300 => &[Status::InProgress],
            _ => &[Status::InProgress, Status::Resolved],
        };
        for (v, to) in steps.iter().enumerate() {
            cases.set_status(&id, v as i64 + 1, *to, "").await?;
        }
        if !steps.is_empty() {
            cases
                .add_event(
                    &id,
                    NewEvent {
                        kind: "call".into(),
                        body: "Đã liên lạc với đương sự và gia đình".into(),
                        ..Default::default()
                    },
                )
                .await?;
        }
    }
    baoho_store::cases::escalate_overdue(store, keys, now).await?;
    baoho_store::outbox::drain_outbox(store, now, 10_000).await?;
    Ok(())
}

/// The consent a demo referral records: given by the person, in person, on the referral's day.
fn demo_consent(
    purpose: baoho_store::ConsentPurpose,
    at: chrono::DateTime<chrono::Utc>,
) -> baoho_store::ConsentInput {
    baoho_store::ConsentInput {
        given_by: baoho_store::ConsentGiver::Person,
        given_by_name: String::new(),
        purpose,
        given_on: at.date_naive(),
        method: baoho_store::ConsentMethod::InPerson,
    }
}

#[cfg(test)]
mod tests {
    /// The sign-in page's demo note, and the demo's start-up banner, name every demo account
    /// (issue #15, bug 11: the note listed 6 of the 8).
    #[test]
    fn the_demo_note_and_banner_name_every_demo_account() {
        let notes = [
            include_str!("../../baoho-server/locales/vi.toml"),
            include_str!("../../baoho-server/locales/en.toml"),
        ]
        .map(|locale| {
            locale
                .lines()
                .find(|l| l.starts_with("demo = ") && l.contains("hq.officer"))
                .unwrap_or_default()
                .to_owned()
        });
        let banner = include_str!("serve.rs");
        for (username, ..) in super::ACCOUNTS {
            for note in &notes {
                assert!(
                    note.split([' ', ',']).any(|w| w == *username),
                    "{username} missing from the sign-in page's note: {note}"
                );
            }
            assert!(
                banner.contains(&format!(" {username},"))
                    || banner.contains(&format!(" {username}\"")),
                "{username} missing from the demo banner"
            );
        }
    }
}
