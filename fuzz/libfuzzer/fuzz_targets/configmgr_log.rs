#![no_main]
//! `cargo fuzz run configmgr_log`: see `triage_fuzz_targets::configmgr_log`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::configmgr_log(data);
});
