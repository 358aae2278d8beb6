#![no_main]
//! `cargo fuzz run wsus_config`: see `triage_fuzz_targets::wsus_config`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::wsus_config(data);
});
