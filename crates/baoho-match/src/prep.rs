//! Records prepared for matching: folded, tokenised, interned, parsed; fixed-size and
//! allocation-free so the compare loop only touches integers and short byte strings.

use crate::intern::{Interner, NONE};
use crate::name::{NameOrder, parse_full, parse_split};
use crate::record::Record;
use crate::text::{fold_into, phonetic_into};
use rayon::prelude::*;

/// A name in Vietnamese order as token ids (NONE where absent). At most three middle names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Name {
    pub family: u32,
    pub given: u32,
    pub middle: [u32; 3],
}

impl Name {
    pub const EMPTY: Name = Name {
        family: NONE,
        given: NONE,
        middle: [NONE; 3],
    };

    pub fn middle_len(&self) -> usize {
        self.middle.iter().take_while(|&&t| t != NONE).count()
    }
}

/// Date of birth as raw numbers (0 = unknown). Not calendar-checked: a corrupt `1990-13-05`
/// is kept so the comparison can see a day/month swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Dob {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Dob {
    pub fn is_full(&self) -> bool {
        self.year != 0 && self.month != 0 && self.day != 0
    }
    pub fn packed(&self) -> u32 {
        (u32::from(self.year) << 16) | (u32::from(self.month) << 8) | u32::from(self.day)
    }
}

/// A short identifier (document number, phone, postcode), upper-case alphanumerics inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Code {
    len: u8,
    bytes: [u8; 15],
}

impl Code {
    pub const EMPTY: Code = Code {
        len: 0,
        bytes: [0; 15],
    };

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Keep ASCII letters and digits, upper-cased; only the last 15 kept.
    pub fn parse(s: &str, digits_only: bool, min_len: usize) -> Code {
        let mut c = Code::default();
        let keep = |b: &u8| {
            if digits_only {
                b.is_ascii_digit()
            } else {
                b.is_ascii_alphanumeric()
            }
        };
        let total = s.bytes().filter(keep).count();
        let skip = total.saturating_sub(15);
        for b in s.bytes().filter(keep).skip(skip) {
            c.bytes[usize::from(c.len)] = b.to_ascii_uppercase();
            c.len += 1;
        }
        if usize::from(c.len) < min_len {
            Code::default()
        } else {
            c
        }
    }
}

/// Sex: 0 unknown, 1 male, 2 female.
pub fn parse_sex(s: &str) -> u8 {
    let mut f = String::new();
    fold_into(s, &mut f);
    match f.as_str() {
        "m" | "male" | "nam" | "man" | "mr" | "h" | "homme" | "masculin" | "mannlich" => 1,
        "f" | "female" | "nu" | "w" | "woman" | "ms" | "mrs" | "weiblich" | "feminin" | "femme" => {
            2
        }
        _ => 0,
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Lenient date of birth: `1990`, `1990-05-12`, `12/05/1990`, `19900512`, `12051990`,
/// `05/1990`, `12 May 1990`, `1990/5/12`. Parts are kept raw (no calendar check).
pub fn parse_dob(s: &str) -> Dob {
    let mut groups: [(u32, u8); 3] = [(0, 0); 3];
    let mut n = 0usize;
    let mut cur: u32 = 0;
    let mut len: u8 = 0;
    let mut month_word: u8 = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i <= bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(b' ');
        if b.is_ascii_digit() {
            cur = cur.saturating_mul(10).saturating_add(u32::from(b - b'0'));
            len = len.saturating_add(1);
        } else {
            if len > 0 {
                if n == 3 {
                    return Dob::default();
                }
                groups[n] = (cur, len);
                n += 1;
                cur = 0;
                len = 0;
            }
            if b.is_ascii_alphabetic() {
                let end = bytes[i..]
                    .iter()
                    .position(|c| !c.is_ascii_alphabetic())
                    .map_or(bytes.len(), |p| i + p);
                let word = s.get(i..end).unwrap_or("").to_ascii_lowercase();
                if let Some(m) = MONTHS.iter().position(|m| word.starts_with(m)) {
                    month_word = (m + 1) as u8;
                    if n == 3 {
                        return Dob::default();
                    }
                    groups[n] = (u32::from(month_word), 2);
                    n += 1;
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
    let plausible = |y: u32| (1850..=2100).contains(&y);
    let mk = |y: u32, m: u32, d: u32| Dob {
        year: y as u16,
        month: if m <= 99 { m as u8 } else { 0 },
        day: if d <= 99 { d as u8 } else { 0 },
    };
    let g = &groups[..n];
    match g {
        [(v, 4)] if plausible(*v) => mk(*v, 0, 0),
        [(v, 8)] => {
            let (a, b, c) = (v / 10_000, (v / 100) % 100, v % 100);
            if plausible(a) {
                mk(a, b, c)
            } else if plausible(v % 10_000) {
                mk(v % 10_000, (v / 10_000) % 100, v / 1_000_000)
            } else {
                Dob::default()
            }
        }
        [(v, 6)] if plausible(v / 100) => mk(v / 100, v % 100, 0),
        [(y, 4), (m, _)] if plausible(*y) => mk(*y, *m, 0),
        [(m, _), (y, 4)] if plausible(*y) => mk(*y, *m, 0),
        [(y, 4), (m, _), (d, _)] if plausible(*y) => mk(*y, *m, *d),
        [(a, _), (b, _), (y, 4)] if plausible(*y) => {
            // Day first (Vietnamese and European), unless the month word says otherwise or
            // only the month-first reading is possible (US order).
            let month_first =
                month_word != 0 && *a == u32::from(month_word) && *b != u32::from(month_word);
            if month_first || (*b > 12 && *a <= 12) {
                mk(*y, *a, *b)
            } else {
                mk(*y, *b, *a)
            }
        }
        _ => Dob::default(),
    }
}

/// One prepared record.
#[derive(Debug, Clone, Copy)]
pub struct Prep {
    pub name: Name,
    /// Index into the side's `alts` of the first other reading of an ambiguous name, or NONE.
    pub alt: u32,
    /// How many other readings (consecutive in `alts`).
    pub n_alt: u8,
    pub dob: Dob,
    pub sex: u8,
    /// Hometown place id (in `Store::places`), NONE when missing.
    pub home: u32,
    pub passport: Code,
    pub national_id: Code,
    pub phone: Code,
    pub postcode: Code,
    /// Street address span in the side's `texts` arena.
    pub addr: (u32, u32),
    pub locality: u32,
}

impl Prep {
    pub const EMPTY: Prep = Prep {
        name: Name::EMPTY,
        alt: NONE,
        n_alt: 0,
        dob: Dob {
            year: 0,
            month: 0,
            day: 0,
        },
        sex: 0,
        home: NONE,
        passport: Code::EMPTY,
        national_id: Code::EMPTY,
        phone: Code::EMPTY,
        postcode: Code::EMPTY,
        addr: (0, 0),
        locality: NONE,
    };
}

/// Resolves a folded place name to (old province code, post-2025 province code).
pub type Resolver = fn(&str) -> Option<(u32, u32, bool)>;

static NEXT_STORE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// The vocabulary shared by both sides of a linkage. Not `Clone`: its `id` names one
/// vocabulary (token ids mean the same strings for its whole life), which the compare
/// loop's per-thread caches rely on.
#[derive(Debug)]
pub struct Store {
    /// Unique per store in this process.
    pub id: u32,
    pub tokens: Interner,
    /// Phonetic id per token id.
    pub tok_phon: Vec<u32>,
    pub phons: Interner,
    /// Per token: the phonetic id of the known family name it is or misspells by one edit
    /// (else its own phonetic id). Keys the typo-tolerant blocking rules.
    pub tok_family: Vec<u32>,
    /// Per phonetic id: span in `del_keys` of the hashes of its one-deletion neighbourhood
    /// (the key itself and every key with one letter after the first deleted; two strings
    /// within one edit that agree on their first letter share at least one).
    pub phon_dels: Vec<(u32, u32)>,
    pub del_keys: Vec<u64>,
    pub places: Interner,
    /// (old, new) province per place id; NONE when unresolved (compared by place id).
    pub place_prov: Vec<(u32, u32, bool)>,
    pub localities: Interner,
    pub resolver: Resolver,
}

/// Optional fields a side may lack entirely. A field the list never has compares as null
/// for every pair, so the registry's copy of it need not be prepared at all.
pub mod fields {
    pub const ADDRESS: u8 = 1;
    pub const LOCALITY: u8 = 2;
    pub const POSTCODE: u8 = 4;
    pub const PHONE: u8 = 8;
    pub const ALL: u8 = 0xff;
}

/// One prepared dataset.
#[derive(Debug, Clone, Default)]
pub struct Side {
    pub recs: Vec<Prep>,
    pub alts: Vec<Name>,
    pub texts: String,
    /// Which optional fields (`fields::*`) at least one record has.
    pub present: u8,
}

impl Side {
    pub fn len(&self) -> usize {
        self.recs.len()
    }
    pub fn addr(&self, r: &Prep) -> &[u8] {
        self.texts
            .as_bytes()
            .get(r.addr.0 as usize..(r.addr.0 + r.addr.1) as usize)
            .unwrap_or(&[])
    }
    /// The other readings of an ambiguous name (empty for most records).
    pub fn alts_of(&self, r: &Prep) -> &[Name] {
        if r.alt == NONE {
            &[]
        } else {
            let lo = r.alt as usize;
            self.alts.get(lo..lo + usize::from(r.n_alt)).unwrap_or(&[])
        }
    }
    /// Append the records of `other` (prepared with the same store); returns the index of
    /// the first appended record.
    pub fn append(&mut self, other: &Side) -> usize {
        let first = self.recs.len();
        self.present |= other.present;
        let alt_base = self.alts.len() as u32;
        let text_base = self.texts.len() as u32;
        self.alts.extend_from_slice(&other.alts);
        self.texts.push_str(&other.texts);
        self.recs.extend(other.recs.iter().map(|r| Prep {
            alt: if r.alt == NONE {
                NONE
            } else {
                r.alt + alt_base
            },
            addr: (r.addr.0 + text_base, r.addr.1),
            ..*r
        }));
        first
    }
}

/// How one chunk's local ids map to the store's.
struct ChunkMap {
    tok: Vec<u32>,
    place: Vec<u32>,
    loc: Vec<u32>,
    alt_base: u32,
    text_base: u32,
}

fn remap(id: u32, map: &[u32]) -> u32 {
    if id == NONE {
        NONE
    } else {
        map.get(id as usize).copied().unwrap_or(NONE)
    }
}

impl ChunkMap {
    fn name(&self, n: &Name) -> Name {
        Name {
            family: remap(n.family, &self.tok),
            given: remap(n.given, &self.tok),
            middle: n.middle.map(|t| remap(t, &self.tok)),
        }
    }
}

/// Chunk-local result of the parallel pass, before its ids are made global (the records
/// themselves are written straight into the output).
#[derive(Default)]
struct Chunk {
    present: u8,
    side: Side,
    tokens: Interner,
    places: Interner,
    localities: Interner,
}

const CHUNK: usize = 4096;

impl Store {
    pub fn new(resolver: Resolver) -> Self {
        Store {
            id: NEXT_STORE.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            tokens: Interner::default(),
            tok_phon: Vec::new(),
            phons: Interner::default(),
            tok_family: Vec::new(),
            phon_dels: Vec::new(),
            del_keys: Vec::new(),
            places: Interner::default(),
            place_prov: Vec::new(),
            localities: Interner::default(),
            resolver,
        }
    }

    pub fn token(&self, id: u32) -> &[u8] {
        self.tokens.get(id).as_bytes()
    }

    pub fn phon(&self, id: u32) -> u32 {
        self.tok_phon.get(id as usize).copied().unwrap_or(NONE)
    }

    /// Typo-tolerant family key of a token (see `tok_family`).
    pub fn family_key(&self, id: u32) -> u32 {
        self.tok_family.get(id as usize).copied().unwrap_or(NONE)
    }

    /// Deletion-neighbourhood hashes of a token's phonetic key.
    pub fn deletions(&self, tok: u32) -> &[u64] {
        let p = self.phon(tok);
        match self.phon_dels.get(p as usize) {
            Some(&(lo, n)) => self
                .del_keys
                .get(lo as usize..(lo + n) as usize)
                .unwrap_or(&[]),
            None => &[],
        }
    }

    /// Prepare records: the folding runs in parallel on chunks with local vocabularies,
    /// which are then merged here (few distinct strings, so the merge is cheap). Records are
    /// written in place into the final vector and their ids remapped there, so a million-row
    /// registry is never held twice.
    pub fn prepare(&mut self, records: &[Record]) -> Side {
        self.prepare_fields(records, fields::ALL)
    }

    /// [`Store::prepare`] keeping only the optional fields in `want` (`fields::*`); the
    /// others are left empty, unread.
    pub fn prepare_fields(&mut self, records: &[Record], want: u8) -> Side {
        let mut recs = vec![Prep::EMPTY; records.len()];
        let chunks: Vec<Chunk> = recs
            .par_chunks_mut(CHUNK)
            .zip(records.par_chunks(CHUNK))
            .map(|(out, inp)| prepare_chunk(inp, out, want))
            .collect();
        let text_len: usize = chunks.iter().map(|c| c.side.texts.len()).sum();
        let mut side = Side {
            recs: Vec::new(),
            alts: Vec::new(),
            texts: String::with_capacity(text_len),
            present: chunks.iter().fold(0, |a, c| a | c.present),
        };
        let mut maps: Vec<ChunkMap> = Vec::with_capacity(chunks.len());
        for chunk in chunks {
            let tok = self.tokens.absorb(&chunk.tokens);
            self.sync_phonetics();
            let place = self.places.absorb(&chunk.places);
            self.sync_places();
            let loc = self.localities.absorb(&chunk.localities);
            let m = ChunkMap {
                tok,
                place,
                loc,
                alt_base: side.alts.len() as u32,
                text_base: side.texts.len() as u32,
            };
            side.alts.extend(chunk.side.alts.iter().map(|n| m.name(n)));
            side.texts.push_str(&chunk.side.texts);
            maps.push(m);
        }
        recs.par_chunks_mut(CHUNK)
            .zip(maps.par_iter())
            .for_each(|(out, m)| {
                for r in out {
                    *r = Prep {
                        name: m.name(&r.name),
                        alt: if r.alt == NONE {
                            NONE
                        } else {
                            r.alt + m.alt_base
                        },
                        home: remap(r.home, &m.place),
                        locality: remap(r.locality, &m.loc),
                        addr: (r.addr.0 + m.text_base, r.addr.1),
                        ..*r
                    };
                }
            });
        side.recs = recs;
        side
    }

    fn sync_phonetics(&mut self) {
        let mut buf = String::new();
        for id in self.tok_phon.len()..self.tokens.len() {
            phonetic_into(self.tokens.get(id as u32), &mut buf);
            let p = self.phons.intern(&buf);
            self.tok_phon.push(p);
            self.sync_deletions();
            // A token that sounds like a known family name keeps its phonetic key (`chan`
            // is Trần, not a misspelt Phan); otherwise a one-edit misspelling of a known
            // family name takes that name's key.
            let canonical = if crate::name::family_phonetics().contains(&buf) {
                None
            } else {
                crate::name::canonical_family(self.tokens.get(id as u32))
            };
            let fam = match canonical {
                Some(f) => {
                    phonetic_into(f, &mut buf);
                    let q = self.phons.intern(&buf);
                    self.sync_deletions();
                    q
                }
                None => p,
            };
            self.tok_family.push(fam);
        }
    }

    /// Deletion neighbourhoods for phonetic keys interned since the last call. Keys of one
    /// or two letters keep only themselves (and their first two letters swapped), and the
    /// first letter is never deleted: short remainders such as `an` would join half the given
    /// names.
    fn sync_deletions(&mut self) {
        for pid in self.phon_dels.len()..self.phons.len() {
            let b = self.phons.get(pid as u32).as_bytes();
            let lo = self.del_keys.len() as u32;
            let start = self.del_keys.len();
            self.del_keys
                .push(crate::intern::hash_str(self.phons.get(pid as u32)));
            if b.len() >= 3 {
                let mut v = [0u8; 32];
                for skip in 1..b.len().min(32) {
                    let mut n = 0;
                    for (i, &c) in b.iter().enumerate().take(32) {
                        if i != skip {
                            v[n] = c;
                            n += 1;
                        }
                    }
                    let h = crate::intern::hash_bytes(&v[..n]);
                    if !self.del_keys[start..].contains(&h) {
                        self.del_keys.push(h);
                    }
                }
            }
            if b.len() >= 2 && b[0] != b[1] {
                // The first two letters swapped (`anm` for `nam`): the first letter is never
                // deleted, so this typo needs its own key.
                let mut v = b.to_vec();
                v.swap(0, 1);
                let h = crate::intern::hash_bytes(&v);
                if !self.del_keys[start..].contains(&h) {
                    self.del_keys.push(h);
                }
            }
            let n = (self.del_keys.len() - start) as u32;
            self.phon_dels.push((lo, n));
        }
    }

    fn sync_places(&mut self) {
        for id in self.place_prov.len()..self.places.len() {
            let p = (self.resolver)(self.places.get(id as u32)).unwrap_or((NONE, NONE, false));
            self.place_prov.push(p);
        }
    }
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// Words that decorate a place name without naming it: leading (`Tỉnh`, `Thành phố`, `TP`)
/// and trailing (`province`, `city`, `Việt Nam`). Only at the ends: inside a name they are
/// part of it (`Nam Định`, `Thanh Hóa`, `Hà Nam`).
const PLACE_PREFIX: &[&[&str]] = &[&["tinh"], &["thanh", "pho"], &["tp"]];
const PLACE_SUFFIX: &[&[&str]] = &[&["province"], &["city"], &["viet", "nam"], &["vietnam"]];

/// The folded place name without its decorations (`tinh ninh binh` → `ninh binh`).
fn strip_place_noise(folded: &str) -> Vec<&str> {
    let mut t: Vec<&str> = folded.split(' ').filter(|t| !t.is_empty()).collect();
    loop {
        let before = t.len();
        for p in PLACE_PREFIX {
            if t.len() > p.len() && t[..p.len()] == **p {
                t.drain(..p.len());
            }
        }
        for p in PLACE_SUFFIX {
            if t.len() > p.len() && t[t.len() - p.len()..] == **p {
                t.truncate(t.len() - p.len());
            }
        }
        if t.len() == before {
            return t;
        }
    }
}

fn prepare_chunk(records: &[Record], out: &mut [Prep], want: u8) -> Chunk {
    let mut c = Chunk::default();
    let mut buf = String::new();
    let mut buf2 = String::new();
    for (r, slot) in records.iter().zip(out.iter_mut()) {
        let (name, alt) = prepare_name(r, &mut c.tokens, &mut buf, &mut buf2);
        let n_alt = alt.len() as u8;
        let alt = if alt.is_empty() {
            NONE
        } else {
            let first = c.side.alts.len() as u32;
            c.side.alts.extend(alt);
            first
        };
        let home = {
            fold_into(opt(&r.hometown), &mut buf);
            buf2.clear();
            for t in strip_place_noise(&buf) {
                if !buf2.is_empty() {
                    buf2.push(' ');
                }
                buf2.push_str(t);
            }
            if buf2.is_empty() {
                NONE
            } else {
                c.places.intern(&buf2)
            }
        };
        let locality = if want & fields::LOCALITY == 0 {
            NONE
        } else {
            fold_into(opt(&r.locality), &mut buf);
            if buf.is_empty() {
                NONE
            } else {
                c.present |= fields::LOCALITY;
                c.localities.intern(&buf)
            }
        };
        buf.clear();
        if want & fields::ADDRESS != 0 {
            fold_into(opt(&r.address), &mut buf);
            if !buf.is_empty() {
                c.present |= fields::ADDRESS;
            }
        }
        let start = c.side.texts.len() as u32;
        c.side.texts.push_str(&buf);
        let phone = if want & fields::PHONE == 0 {
            Code::EMPTY
        } else {
            let p = Code::parse(opt(&r.phone), true, 6);
            // Compare the last nine digits: drops +84 / 0 prefixes.
            let b = p.as_bytes();
            let mut q = Code::default();
            let tail = &b[b.len().saturating_sub(9)..];
            q.len = tail.len() as u8;
            q.bytes[..tail.len()].copy_from_slice(tail);
            q
        };
        let postcode = if want & fields::POSTCODE == 0 {
            Code::EMPTY
        } else {
            Code::parse(opt(&r.postcode), false, 3)
        };
        if !phone.is_empty() {
            c.present |= fields::PHONE;
        }
        if !postcode.is_empty() {
            c.present |= fields::POSTCODE;
        }
        *slot = Prep {
            name,
            alt,
            n_alt,
            dob: parse_dob(opt(&r.dob)),
            sex: parse_sex(opt(&r.sex)),
            home,
            passport: Code::parse(opt(&r.passport), false, 5),
            national_id: Code::parse(opt(&r.national_id), false, 5),
            phone,
            postcode,
            addr: (start, buf.len() as u32),
            locality,
        };
    }
    c
}

fn to_name(toks: &[u32], o: &NameOrder) -> Name {
    let mut n = Name::EMPTY;
    n.family = o.family.and_then(|i| toks.get(i).copied()).unwrap_or(NONE);
    n.given = o.given.and_then(|i| toks.get(i).copied()).unwrap_or(NONE);
    for (slot, &i) in n.middle.iter_mut().zip(o.middle.iter()) {
        *slot = toks.get(i).copied().unwrap_or(NONE);
    }
    n
}

fn prepare_name(
    r: &Record,
    tokens: &mut Interner,
    buf: &mut String,
    buf2: &mut String,
) -> (Name, Vec<Name>) {
    let fam = opt(&r.family_name);
    let giv = opt(&r.given_name);
    if !fam.trim().is_empty() || !giv.trim().is_empty() {
        fold_into(fam, buf);
        fold_into(giv, buf2);
        let f: Vec<&str> = buf.split(' ').filter(|t| !t.is_empty()).collect();
        let g: Vec<&str> = buf2.split(' ').filter(|t| !t.is_empty()).collect();
        let (toks, order) = parse_split(&f, &g, giv.is_ascii());
        let ids: Vec<u32> = toks.iter().map(|t| tokens.intern(t)).collect();
        return (to_name(&ids, &order), Vec::new());
    }
    let raw = r.name.as_str();
    fold_into(raw, buf);
    let toks: Vec<&str> = buf.split(' ').filter(|t| !t.is_empty()).collect();
    let comma_at = raw.find(',').map(|i| {
        fold_into(raw.get(..i).unwrap_or(""), buf2);
        buf2.split(' ').filter(|t| !t.is_empty()).count()
    });
    let (order, alts) = parse_full(&toks, comma_at);
    let ids: Vec<u32> = toks.iter().map(|t| tokens.intern(t)).collect();
    (
        to_name(&ids, &order),
        alts.iter().map(|a| to_name(&ids, a)).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: u16, m: u8, day: u8) -> Dob {
        Dob {
            year: y,
            month: m,
            day,
        }
    }

    #[test]
    fn parses_dates_of_birth_leniently() {
        assert_eq!(parse_dob("1990"), d(1990, 0, 0));
        assert_eq!(parse_dob("1990-05-12"), d(1990, 5, 12));
        assert_eq!(parse_dob("12/05/1990"), d(1990, 5, 12));
        assert_eq!(parse_dob("19900512"), d(1990, 5, 12));
        assert_eq!(parse_dob("12051990"), d(1990, 5, 12));
        assert_eq!(parse_dob("05/1990"), d(1990, 5, 0));
        assert_eq!(parse_dob("12 May 1990"), d(1990, 5, 12));
        assert_eq!(parse_dob("May 12, 1990"), d(1990, 5, 12));
        assert_eq!(parse_dob("1990-13-05"), d(1990, 13, 5));
        assert_eq!(parse_dob("05/25/1990"), d(1990, 5, 25));
        assert_eq!(parse_dob(""), Dob::default());
        assert_eq!(parse_dob("unknown"), Dob::default());
        assert_eq!(parse_dob("1/2/3/4"), Dob::default());
    }

    #[test]
    fn codes_and_sex() {
        assert_eq!(Code::parse("c-123 4567", false, 5).as_bytes(), b"C1234567");
        assert!(Code::parse("12", false, 5).is_empty());
        assert_eq!(parse_sex("Nữ"), 2);
        assert_eq!(parse_sex("M"), 1);
        assert_eq!(parse_sex(""), 0);
    }

    #[test]
    fn prepares_a_name_in_either_order() {
        let mut store = Store::new(|_| None);
        let recs = vec![
            Record {
                name: "Nguyễn Văn An".into(),
                ..Record::default()
            },
            Record {
                name: "VAN AN NGUYEN".into(),
                ..Record::default()
            },
        ];
        let side = store.prepare(&recs);
        assert_eq!(side.recs[0].name, side.recs[1].name);
        assert_eq!(store.tokens.get(side.recs[0].name.given), "an");
    }
}
