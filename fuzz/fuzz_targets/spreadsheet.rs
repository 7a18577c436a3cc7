#![no_main]
// The body is `baoho_match::fuzz::spreadsheet`, which the stable suite also runs over the kept corpus.
libfuzzer_sys::fuzz_target!(|data: &[u8]| baoho_match::fuzz::spreadsheet(data));
