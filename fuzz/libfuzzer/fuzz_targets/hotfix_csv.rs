#![no_main]
//! `cargo fuzz run hotfix_csv`: see `triage_fuzz_targets::hotfix_csv`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::hotfix_csv(data);
});
