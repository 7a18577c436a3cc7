//! baoho-server
