//! baoho-store
