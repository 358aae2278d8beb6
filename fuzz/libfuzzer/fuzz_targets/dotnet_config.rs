#![no_main]
//! `cargo fuzz run dotnet_config`: see `triage_fuzz_targets::dotnet_config`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::dotnet_config(data);
});
