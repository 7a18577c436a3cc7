//! The matcher's story on small synthetic data: a deportee list typed the foreign way finds
//! its people in the registry, an ambiguous common name is not auto-matched, a file's
//! duplicates cluster, the intake warning finds a near-duplicate, and FEBRL4 (when the shared
//! data is present) links with F1 ≥ 0.9995.

use baoho_match::{Decision, Index, LinkConfig, Model, Record, dedupe, link};

fn person(
    id: &str,
    family: &str,
    given: &str,
    dob: &str,
    sex: &str,
    home: &str,
    pp: Option<&str>,
) -> Record {
    Record {
        id: id.into(),
        name: format!("{family} {given}"),
        family_name: Some(family.into()),
        given_name: Some(given.into()),
        dob: Some(dob.into()),
        sex: Some(sex.into()),
        hometown: Some(home.into()),
        passport: pp.map(str::to_owned),
        national_id: None,
        ..Record::default()
    }
}

/// A registry of distinct people plus some namesakes of a very common name.
fn registry() -> Vec<Record> {
    let families = [
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ",
    ];
    let middles = ["Văn", "Thị", "Minh", "Đức", "Thu", "Hữu"];
    let givens = [
        "An", "Bình", "Cường", "Dũng", "Hà", "Hùng", "Lan", "Mai", "Nam", "Phương", "Quân", "Sơn",
        "Tâm", "Thảo", "Tuấn", "Yến", "Khoa", "Linh",
    ];
    let homes = [
        "Nghệ An",
        "Hà Tĩnh",
        "Thanh Hóa",
        "Hải Dương",
        "Hà Giang",
        "Quảng Nam",
    ];
    let mut out = Vec::new();
    let mut k = 0usize;
    for (fi, f) in families.iter().enumerate() {
        for (gi, g) in givens.iter().enumerate() {
            for (mi, m) in middles.iter().enumerate().take(3) {
                k += 1;
                let dob = format!(
                    "{}-{:02}-{:02}",
                    1960 + (k * 7) % 45,
                    1 + (k * 5) % 12,
                    1 + (k * 11) % 28
                );
                let sex = if *m == "Thị" || mi == 1 { "F" } else { "M" };
                out.push(person(
                    &format!("R{k:05}"),
                    f,
                    &format!("{m} {g}"),
                    &dob,
                    sex,
                    homes[(fi + gi) % homes.len()],
                    Some(&format!("C{:07}", 1_000_000 + k * 7919 % 8_000_000)),
                ));
            }
        }
    }
    // Namesakes: three "Nguyễn Văn An" born the same year, no documents.
    for (i, dob) in ["1990-03-04", "1990-07-21", "1990-11-30"]
        .iter()
        .enumerate()
    {
        out.push(person(
            &format!("N{i}"),
            "Nguyễn",
            "Văn An",
            dob,
            "M",
            "Nghệ An",
            None,
        ));
    }
    out
}

#[test]
fn a_foreign_list_finds_its_people() {
    let reg = registry();
    let find = |id: &str| reg.iter().position(|r| r.id == id).unwrap_or(usize::MAX);
    let typed = |name: &str, dob: &str, home: Option<&str>, pp: Option<&str>| Record {
        name: name.into(),
        dob: Some(dob.into()),
        hometown: home.map(str::to_owned),
        passport: pp.map(str::to_owned),
        ..Record::default()
    };
    let r1 = &reg[10];
    let r2 = &reg[200];
    let list = vec![
        // Western order, no diacritics, day/month swapped, passport misread.
        typed(
            &format!(
                "{} {}",
                baoho_domain::text::fold(r1.given_name.as_deref().unwrap_or("")).to_uppercase(),
                baoho_domain::text::fold(r1.family_name.as_deref().unwrap_or("")).to_uppercase()
            ),
            &swap_day_month(r1.dob.as_deref().unwrap_or("")),
            None,
            r1.passport
                .as_deref()
                .map(|p| p.replace('1', "I"))
                .as_deref(),
        ),
        // Vietnamese order, exact date, old province name.
        typed(
            &r2.name,
            r2.dob.as_deref().unwrap_or(""),
            r2.hometown.as_deref(),
            None,
        ),
        // An ambiguous common name, year only.
        typed("NGUYEN VAN AN", "1990", Some("NGHE AN"), None),
        // Someone not in the registry.
        typed("KIEU THI NGOC", "1977-01-01", None, None),
    ];
    let res = link(&reg, &list, &LinkConfig::default());
    let best = |row: usize| res.candidates.iter().find(|c| c.list_idx == row);
    let b0 = best(0).map(|c| (c.reg_idx, c.decision));
    assert_eq!(b0.map(|b| b.0), Some(find(&r1.id)), "{:?}", res.candidates);
    // On a registry this small EM has little to learn from: the right person must lead,
    // auto-matched or sent to review.
    let b1 = best(1).map(|c| (c.reg_idx, c.decision));
    assert_eq!(b1.map(|b| b.0), Some(find(&r2.id)));
    assert_ne!(b1.map(|b| b.1), Some(Decision::NonMatch));
    let b2 = best(2).map(|c| c.decision);
    assert_ne!(
        b2,
        Some(Decision::Match),
        "ambiguous namesakes must not auto-match"
    );
    assert!(best(3).is_none_or(|c| c.decision != Decision::Match));
    let e = &res.candidates[0].explanation;
    assert!(e.fields.iter().any(|f| f.field == "dob"));
    assert!(res.stats.pairs_compared > 0);
}

#[test]
fn namesakes_and_typed_names_reach_the_screen() {
    let reg = registry();
    let namesakes: Vec<usize> = (0..reg.len())
        .filter(|&i| reg[i].id.starts_with('N'))
        .collect();
    let r = &reg[77];
    let family = baoho_domain::text::fold(r.family_name.as_deref().unwrap_or("")).to_uppercase();
    let given = baoho_domain::text::fold(r.given_name.as_deref().unwrap_or("")).to_uppercase();
    // Name only, the given name's last letter doubled: no date, place or document to block on.
    let typo = format!("{family} {given}{}", given.chars().last().unwrap_or('A'));
    let list = vec![
        Record {
            name: "NGUYEN VAN AN".into(),
            dob: Some("1990".into()),
            hometown: Some("NGHE AN".into()),
            ..Record::default()
        },
        Record {
            name: typo.clone(),
            ..Record::default()
        },
    ];
    let res = link(&reg, &list, &LinkConfig::default());
    // Three equally likely namesakes: all of them go to review, none is auto-matched.
    let shown: Vec<usize> = res
        .candidates
        .iter()
        .filter(|c| c.list_idx == 0 && c.decision == Decision::Review)
        .map(|c| c.reg_idx)
        .collect();
    for n in &namesakes {
        assert!(
            shown.contains(n),
            "namesake {n} not in review: {:?}",
            res.candidates
        );
    }
    // The misspelt name still proposes the right person.
    assert!(
        res.candidates
            .iter()
            .any(|c| c.list_idx == 1 && c.reg_idx == 77),
        "{typo}: {:?}",
        res.candidates
            .iter()
            .filter(|c| c.list_idx == 1)
            .collect::<Vec<_>>()
    );
}

fn swap_day_month(iso: &str) -> String {
    let p: Vec<&str> = iso.split('-').collect();
    match p.as_slice() {
        [y, m, d] if m != d && d.parse::<u8>().is_ok_and(|d| d <= 12) => format!("{y}-{d}-{m}"),
        _ => iso.to_owned(),
    }
}

#[test]
fn duplicates_in_one_file_cluster() {
    let mut recs = registry();
    let dup = Record {
        id: "D1".into(),
        name: "NGUYEN VAN BINH".into(),
        family_name: None,
        given_name: None,
        ..recs[1].clone()
    };
    let target = recs
        .iter()
        .position(|r| r.name == "Nguyễn Văn Bình")
        .unwrap_or(0);
    let dup = Record {
        dob: recs[target].dob.clone(),
        passport: recs[target].passport.clone(),
        hometown: recs[target].hometown.clone(),
        sex: recs[target].sex.clone(),
        ..dup
    };
    recs.push(dup);
    let res = dedupe(&recs, &LinkConfig::default());
    let last = recs.len() - 1;
    assert!(
        res.clusters
            .iter()
            .any(|c| c.contains(&target) && c.contains(&last)),
        "{:?}",
        res.clusters
    );
}

#[test]
fn intake_warning_finds_a_near_duplicate() {
    let reg = registry();
    let index = Index::build(&reg);
    let model = Model::train(&index, &LinkConfig::default());
    let mut incoming = reg[42].clone();
    incoming.name = baoho_domain::text::fold(&incoming.name);
    incoming.family_name = None;
    incoming.given_name = None;
    let c = model.candidates(&incoming, &index, 3);
    assert_eq!(c.first().map(|c| c.reg_idx), Some(42));
    let json = serde_json_like(&model);
    assert!(json > 0);
}

fn serde_json_like(m: &Model) -> usize {
    // The model is plain data the server can persist.
    m.params.m.len() + m.params.u.len()
}

#[test]
fn febrl4_links_with_high_f1() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/febrl");
    let (Ok(a), Ok(b)) = (
        baoho_match::io::read_febrl(&dir.join("febrl4_a.csv")),
        baoho_match::io::read_febrl(&dir.join("febrl4_b.csv")),
    ) else {
        println!("FEBRL data not found in {}; skipping", dir.display());
        return;
    };
    let res = link(&a, &b, &LinkConfig::default());
    let (mut tp, mut found) = (0usize, 0usize);
    for c in res
        .candidates
        .iter()
        .filter(|c| c.decision == Decision::Match)
    {
        found += 1;
        tp += usize::from(b[c.list_idx].id.replace("-dup-0", "-org") == a[c.reg_idx].id);
    }
    let p = tp as f64 / found.max(1) as f64;
    let r = tp as f64 / 5000.0;
    let f1 = 2.0 * p * r / (p + r);
    println!("FEBRL4 P {p:.5} R {r:.5} F1 {f1:.5}");
    assert!(f1 >= 0.9995, "F1 {f1}");
}

#[test]
fn tying_namesakes_beyond_max_candidates_all_go_to_review() {
    // Eight (then thirty) people named alike, born the same year in the same province, no
    // documents: nothing tells them apart, so all go to review, up to the cap.
    for (n, expect) in [(8usize, 8usize), (30, baoho_match::REVIEW_TIE_CAP)] {
        let mut reg = registry();
        for i in 0..n {
            reg.push(person(
                &format!("T{i}"),
                "Trần",
                "Văn Hùng",
                &format!("1985-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
                "M",
                "Hà Tĩnh",
                None,
            ));
        }
        let list = vec![Record {
            name: "TRAN VAN HUNG".into(),
            dob: Some("1985".into()),
            hometown: Some("HA TINH".into()),
            ..Record::default()
        }];
        let cfg = LinkConfig::default();
        let res = link(&reg, &list, &cfg);
        let review = res
            .candidates
            .iter()
            .filter(|c| c.decision == Decision::Review && reg[c.reg_idx].id.starts_with('T'))
            .count();
        assert!(
            res.candidates.iter().all(|c| c.decision != Decision::Match),
            "{:?}",
            res.candidates
        );
        assert_eq!(review, expect, "{n} namesakes: {:?}", res.candidates);
        assert!(res.candidates.len() <= baoho_match::REVIEW_TIE_CAP.max(cfg.max_candidates));
    }
}
