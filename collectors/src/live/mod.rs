//! Live collection on Windows (drafted below).
