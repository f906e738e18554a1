#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| promgate_fuzz::promqltest(data));
