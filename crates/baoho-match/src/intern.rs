//! String interning: equal strings get one `u32`, so the compare loop tests integers.

use rustc_hash::{FxHashMap, FxHasher};
use std::hash::Hasher;

pub const NONE: u32 = u32::MAX;

/// Strings kept once in one arena, looked up by a 64-bit hash (collisions chained).
#[derive(Debug, Clone, Default)]
pub struct Interner {
    map: FxHashMap<u64, u32>,
    /// Next id with the same hash, or NONE.
    next: Vec<u32>,
    arena: String,
    spans: Vec<(u32, u32)>,
}

pub fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
}

pub fn hash_bytes(b: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(b);
    h.finish()
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> u32 {
        let h = hash_str(s);
        let mut last = NONE;
        if let Some(&first) = self.map.get(&h) {
            let mut id = first;
            while id != NONE {
                if self.get(id) == s {
                    return id;
                }
                last = id;
                id = self.next[id as usize];
            }
        }
        let id = self.spans.len() as u32;
        let start = self.arena.len() as u32;
        self.arena.push_str(s);
        self.spans.push((start, s.len() as u32));
        self.next.push(NONE);
        if last == NONE {
            self.map.insert(h, id);
        } else {
            self.next[last as usize] = id;
        }
        id
    }

    pub fn get(&self, id: u32) -> &str {
        match self.spans.get(id as usize) {
            Some(&(start, len)) => self
                .arena
                .get(start as usize..(start + len) as usize)
                .unwrap_or(""),
            None => "",
        }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Intern every string of `other` here; returns the id map other → self.
    pub fn absorb(&mut self, other: &Interner) -> Vec<u32> {
        (0..other.len() as u32)
            .map(|id| self.intern(other.get(id)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once() {
        let mut i = Interner::default();
        let a = i.intern("nguyen");
        let b = i.intern("an");
        assert_eq!(i.intern("nguyen"), a);
        assert_ne!(a, b);
        assert_eq!(i.get(b), "an");
        let mut j = Interner::default();
        j.intern("binh");
        let map = j.absorb(&i);
        assert_eq!(map, vec![1, 2]);
    }
}
