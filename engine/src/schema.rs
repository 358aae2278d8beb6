//! JSON Schemas for the pack format and the JSON report, generated from Rust types.
