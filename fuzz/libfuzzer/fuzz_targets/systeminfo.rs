#![no_main]
//! `cargo fuzz run systeminfo`: see `triage_fuzz_targets::systeminfo`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::systeminfo(data);
});
