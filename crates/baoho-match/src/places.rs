//! Hometown resolution: a place name to its pre-2025 province and the post-2025 province it
//! merged into (63 → 34 on 1 July 2025), from `baoho_domain::refdata`.

use crate::intern::NONE;

fn code(s: &str) -> u32 {
    s.parse::<u32>()
        .unwrap_or_else(|_| (crate::intern::hash_str(s) as u32) | 0x8000_0000)
}

/// Returns (old province code, new province code, whether the name names the new province)
/// for a folded place name, or None when the name is not a province. A new province's name
/// that is also an old one's ("Đà Nẵng") resolves to that old province, with the flag set:
/// such a name may mean either, so it is the same province as every part of the new one.
pub fn resolve(folded: &str) -> Option<(u32, u32, bool)> {
    let m = baoho_domain::refdata::find_province(folded)?;
    let old = m.old.map_or(NONE, |o| code(&o.code));
    Some((old, code(&m.province.code), m.names_new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_and_new_names_meet_at_the_new_province() {
        let ha_giang = resolve("ha giang");
        let tuyen_quang = resolve("tuyen quang");
        assert!(ha_giang.is_some());
        assert_eq!(ha_giang.map(|p| p.1), tuyen_quang.map(|p| p.1));
        assert_ne!(ha_giang.map(|p| p.0), tuyen_quang.map(|p| p.0));
        assert_eq!(
            resolve("thanh hoa").map(|p| p.0),
            resolve("Tỉnh Thanh Hóa").map(|p| p.0)
        );
        assert!(resolve("new south wales").is_none());
    }
}
