#![no_main]
//! `cargo fuzz run reg_file`: see `triage_fuzz_targets::reg_file`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::reg_file(data);
});
