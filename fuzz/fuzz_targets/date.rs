#![no_main]
// The body is `baoho_domain::fuzz::date`, which the stable suite also runs over the kept corpus.
libfuzzer_sys::fuzz_target!(|data: &[u8]| baoho_domain::fuzz::date(data));
