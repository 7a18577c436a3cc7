//! Vietnamese text: NFC on input, folding for search and matching.
//!
//! Display always keeps the original (NFC) string; the folded form feeds search columns and the
//! matcher, so `Nguyễn`, `NGUYEN` and `nguyen` are the same word there.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Normalise user input to NFC. Every string that enters Baoho passes here first.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// Fold text for search and matching: lower case, combining marks stripped, `đ`→`d`,
/// runs of whitespace and punctuation collapsed to one space, trimmed.
///
/// `fold("  Nguyễn   Thị ĐÀO ") == "nguyen thi dao"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    // Lower-case first: some capitals lower-case into letters that fold further
    // (`ẞ` → `ß` → `s`) or into a letter plus a combining mark (`İ` → `i̇`).
    for c in s.nfd().flat_map(char::to_lowercase) {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' => 'd',
            // Latin letters that do not decompose but occur in romanised or foreign names.
            'ø' => 'o',
            'ł' => 'l',
            'ß' => 's',
            _ => c,
        };
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        } else if c == '\'' || c == '’' {
            // Apostrophes inside names ("K'Nơ") are dropped, not split on.
        } else {
            pending_space = true;
        }
    }
    out
}

/// The folded words of a string, in order.
pub fn fold_tokens(s: &str) -> Vec<String> {
    fold(s)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// True when `s` is already NFC (cheap check used by input validation tests).
pub fn is_nfc(s: &str) -> bool {
    unicode_normalization::is_nfc(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_vietnamese_names() {
        assert_eq!(fold("Nguyễn Văn A"), "nguyen van a");
        assert_eq!(fold("NGUYỄN"), "nguyen");
        assert_eq!(fold("Đặng Thị Đào"), "dang thi dao");
        assert_eq!(fold("  Trần,   Hưng-Đạo "), "tran hung dao");
        assert_eq!(fold("Hồ Chí Minh"), fold("HO CHI MINH"));
    }

    #[test]
    fn nfd_input_folds_like_nfc() {
        let nfd: String = "Nguyễn Thị Ánh".nfd().collect();
        assert_eq!(fold(&nfd), "nguyen thi anh");
        assert_eq!(nfc(&nfd), "Nguyễn Thị Ánh");
        assert!(is_nfc(&nfc(&nfd)));
    }

    #[test]
    fn capitals_that_lower_case_into_foldable_letters() {
        assert_eq!(fold("ẞ"), "s");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("ĐỖ"), "do");
    }

    #[test]
    fn tokens() {
        assert_eq!(fold_tokens("Lê  Thị-Mai"), vec!["le", "thi", "mai"]);
        assert!(fold_tokens(" ,. ").is_empty());
    }

    proptest! {
        #[test]
        fn fold_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn fold_ignores_normal_form_and_case(s in "[a-zA-ZàáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĐ ]{0,30}") {
            let nfd: String = s.nfd().collect();
            prop_assert_eq!(fold(&nfd), fold(&s));
            prop_assert_eq!(fold(&s.to_uppercase()), fold(&s));
        }

        #[test]
        fn folded_is_ascii_for_vietnamese(s in "[a-zA-ZàáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĐ ]{0,30}") {
            prop_assert!(fold(&s).is_ascii());
        }
    }
}
