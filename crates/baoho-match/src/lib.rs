//! baoho-match
