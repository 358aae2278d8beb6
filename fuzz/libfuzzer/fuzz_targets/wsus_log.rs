#![no_main]
//! `cargo fuzz run wsus_log`: see `triage_fuzz_targets::wsus_log`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::wsus_log(data);
});
