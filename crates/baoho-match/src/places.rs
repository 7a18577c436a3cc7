//! Hometown resolution: a place name (folded, decorations stripped) to its pre-2025
//! province and the post-2025 province it merged into.

/// Returns (old province code, new province code), or None when the name is not a province.
pub fn resolve(folded: &str) -> Option<(u32, u32)> {
    let _ = folded;
    None
}
