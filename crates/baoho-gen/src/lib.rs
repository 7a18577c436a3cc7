//! baoho-gen
