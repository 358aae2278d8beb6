#![no_main]
//! `cargo fuzz run probe_report`: see `triage_fuzz_targets::probe_report`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::probe_report(data);
});
