//! Windows build numbers → product names, shared by the `systeminfo` and `registry` collectors so
//! that both derive the **identical** `os.product` string (merging them then never conflicts).
//!
//! The product is chosen from the build number alone, plus one bit: whether the OS is a server
//! (`Server` appears in the OS name, `ProductName` or `InstallationType`). Client and server
//! releases share build numbers (17763 is both Windows Server 2019 and Windows 10 1809), and
//! Windows 11's `ProductName` famously still says "Windows 10", so the name is never parsed for
//! more than that bit.

/// Server releases by build number.
const SERVER_BUILDS: &[(u64, &str)] = &[
    (3790, "Windows Server 2003"),
    (6001, "Windows Server 2008"),
    (6002, "Windows Server 2008"),
    (6003, "Windows Server 2008"),
    (7600, "Windows Server 2008 R2"),
    (7601, "Windows Server 2008 R2"),
    (9200, "Windows Server 2012"),
    (9600, "Windows Server 2012 R2"),
    (14393, "Windows Server 2016"),
    (16299, "Windows Server, version 1709"),
    (17134, "Windows Server, version 1803"),
    (17763, "Windows Server 2019"),
    (18362, "Windows Server, version 1903"),
    (18363, "Windows Server, version 1909"),
    (19041, "Windows Server, version 2004"),
    (19042, "Windows Server, version 20H2"),
    (20348, "Windows Server 2022"),
    (25398, "Windows Server, version 23H2"),
    (26100, "Windows Server 2025"),
];

/// Client releases by build number (exact builds; others fall back to ranges).
const CLIENT_BUILDS: &[(u64, &str)] = &[
    (2600, "Windows XP"),
    (6000, "Windows Vista"),
    (6001, "Windows Vista"),
    (6002, "Windows Vista"),
    (7600, "Windows 7"),
    (7601, "Windows 7"),
    (9200, "Windows 8"),
    (9600, "Windows 8.1"),
];

/// The product name for a build: `product_for_build(9600, true)` is `"Windows Server 2012 R2"`.
///
/// Unknown server builds give `"Windows Server (build N)"`; client builds from 10240 are
/// "Windows 10" and from 22000 "Windows 11".
pub fn product_for_build(build: u64, is_server: bool) -> String {
    let table = if is_server { SERVER_BUILDS } else { CLIENT_BUILDS };
    if let Some((_, name)) = table.iter().find(|(b, _)| *b == build) {
        return (*name).to_owned();
    }
    match (is_server, build) {
        (true, _) => format!("Windows Server (build {build})"),
        (false, 22000..) => "Windows 11".to_owned(),
        (false, 10240..) => "Windows 10".to_owned(),
        (false, _) => format!("Windows (build {build})"),
    }
}

/// Whether an OS name, `ProductName` or `InstallationType` names a server. `None` (nothing
/// known) counts as a server: triage reads WSUS servers.
pub fn is_server_name(name: Option<&str>) -> bool {
    name.is_none_or(|n| n.to_ascii_lowercase().contains("server"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_table_matches_the_article() {
        assert_eq!(product_for_build(9200, true), "Windows Server 2012");
        assert_eq!(product_for_build(9600, true), "Windows Server 2012 R2");
        assert_eq!(product_for_build(14393, true), "Windows Server 2016");
        assert_eq!(product_for_build(17763, true), "Windows Server 2019");
        assert_eq!(product_for_build(20348, true), "Windows Server 2022");
        assert_eq!(product_for_build(12345, true), "Windows Server (build 12345)");
        assert_eq!(product_for_build(17763, false), "Windows 10");
        assert_eq!(product_for_build(22631, false), "Windows 11");
        assert!(is_server_name(Some("Microsoft Windows Server 2012 R2 Standard")));
        assert!(!is_server_name(Some("Windows 10 Pro")));
        assert!(is_server_name(None));
    }
}
