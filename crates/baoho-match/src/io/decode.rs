//! The bytes of a CSV file as text: its encoding and its delimiter.

use baoho_domain::text::nfc;
use std::borrow::Cow;

/// Decode CSV bytes: UTF-8 (BOM stripped) if valid, UTF-16 with a BOM, else Windows-1258
/// (decoded, then NFC, since Windows-1258 writes tones as combining marks).
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    let (s, f) = decode_borrowed(bytes);
    (s.into_owned(), f)
}

/// [`decode`] without copying text that is already UTF-8.
pub(super) fn decode_borrowed(bytes: &[u8]) -> (Cow<'_, str>, &'static str) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (String::from_utf8_lossy(rest), "UTF-8 (BOM)");
    }
    if bytes.starts_with(b"\xFF\xFE") {
        let (s, _) = encoding_rs::UTF_16LE.decode_with_bom_removal(bytes);
        return (s, "UTF-16LE (BOM)");
    }
    if bytes.starts_with(b"\xFE\xFF") {
        let (s, _) = encoding_rs::UTF_16BE.decode_with_bom_removal(bytes);
        return (s, "UTF-16BE (BOM)");
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), "UTF-8"),
        Err(_) => {
            let (s, _) = encoding_rs::WINDOWS_1258.decode_without_bom_handling(bytes);
            (Cow::Owned(nfc(&s)), "Windows-1258")
        }
    }
}

/// The delimiter of a CSV text: the most frequent of `,` `;` tab `|` on the first lines,
/// outside quotes.
pub(super) fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 4];
    let cands = [b',', b';', b'\t', b'|'];
    let mut in_quotes = false;
    for b in text.bytes().take(64 * 1024) {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && let Some(i) = cands.iter().position(|c| *c == b) {
            counts[i] += 1;
        }
    }
    let best = (0..4)
        .max_by_key(|&i| (counts[i], usize::from(i == 0)))
        .unwrap_or(0);
    if counts[best] == 0 { b',' } else { cands[best] }
}

#[cfg(test)]
mod tests {
    use crate::io::{Field, read};

    #[test]
    fn bom_is_stripped() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice("Họ tên,Ngày sinh\nLê Thị Hoa,1995-01-02\n".as_bytes());
        let r = read(&bytes);
        assert_eq!(r.format, "UTF-8 (BOM)");
        assert_eq!(r.mapping[0], (Field::Name, vec!["Họ tên".to_owned()]));
        assert_eq!(r.records[0].name, "Lê Thị Hoa");
    }

    const TONES: [char; 5] = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];

    #[test]
    fn windows_1258_is_decoded_to_nfc() {
        use unicode_normalization::UnicodeNormalization;
        let text = "Họ và tên,Quê quán\nNguyễn Thị Ánh,Hà Tĩnh\nĐặng Văn Hưng,Thừa Thiên Huế\n";
        // Windows-1258 spells tones as combining marks after a base letter that may carry a
        // circumflex, breve or horn: decompose the tones only.
        let legacy: String = text
            .chars()
            .flat_map(|c| {
                let d: String = std::iter::once(c).nfd().collect();
                let tones: String = d.chars().filter(|m| TONES.contains(m)).collect();
                let base: String = d.chars().filter(|m| !TONES.contains(m)).nfc().collect();
                base.chars().chain(tones.chars()).collect::<Vec<char>>()
            })
            .collect();
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&legacy);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err());
        let r = read(&bytes);
        assert_eq!(r.format, "Windows-1258");
        assert_eq!(r.records[0].name, "Nguyễn Thị Ánh");
        assert!(baoho_domain::text::is_nfc(&r.records[0].name));
        assert_eq!(r.records[1].name, "Đặng Văn Hưng");
        assert_eq!(r.records[1].hometown.as_deref(), Some("Thừa Thiên Huế"));
    }

    #[test]
    fn utf16_with_bom_tab_separated() {
        let text = "Full name\tDOB\nNGUYEN VAN AN\t1990\n";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let r = read(&bytes);
        assert_eq!(r.format, "UTF-16LE (BOM)");
        assert_eq!(r.records[0].dob.as_deref(), Some("1990"));
    }
}
