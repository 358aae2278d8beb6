#![no_main]
//! `cargo fuzz run gpresult`: see `triage_fuzz_targets::gpresult`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::gpresult(data);
});
