//! Capture containers: classic pcap (micro- and nanosecond variants, both byte orders) and
//! pcapng (sections of either byte order, several interfaces, enhanced, simple and obsolete
//! packet blocks). Yields each packet with its 1-based frame number as Wireshark counts it.
//!
//! Best effort: a truncated or corrupt record ends reading with a [`ContainerError`] naming
//! the byte offset; every packet before it is kept.

/// Link-layer header types (LINKTYPE_*) the flow decoder understands.
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const RAW_ALT12: u32 = 12;
    pub const RAW_ALT14: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

/// Which container a file is, from its first four bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Pcap { big_endian: bool, nanos: bool },
    PcapNg,
}

/// Recognises a container by its magic number.
pub fn sniff(head: &[u8]) -> Option<Container> {
    match head.get(..4)? {
        [0xD4, 0xC3, 0xB2, 0xA1] => Some(Container::Pcap { big_endian: false, nanos: false }),
        [0xA1, 0xB2, 0xC3, 0xD4] => Some(Container::Pcap { big_endian: true, nanos: false }),
        [0x4D, 0x3C, 0xB2, 0xA1] => Some(Container::Pcap { big_endian: false, nanos: true }),
        [0xA1, 0xB2, 0x3C, 0x4D] => Some(Container::Pcap { big_endian: true, nanos: true }),
        [0x0A, 0x0D, 0x0D, 0x0A] => Some(Container::PcapNg),
        _ => None,
    }
}

/// One captured packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// 1-based, counting every packet record in the file.
    pub frame: u64,
    pub linktype: u32,
    /// Capture time in nanoseconds since the Unix epoch (0 when unknown).
    pub time_ns: i128,
    pub data: &'a [u8],
    /// Byte offset of the packet record in the file.
    pub offset: u64,
}

/// Where and why the container could not be read further.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerError {
    pub offset: u64,
    pub message: String,
}

/// Every packet of a capture, and the error that stopped reading, if any.
#[derive(Debug, Default)]
pub struct ReadResult<'a> {
    pub packets: Vec<Packet<'a>>,
    pub errors: Vec<ContainerError>,
}

/// Largest packet record accepted: anything bigger is corruption, not a packet.
const MAX_PACKET: usize = 1 << 20;

fn rd_u16(b: &[u8], at: usize, be: bool) -> Option<u16> {
    let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(if be { u16::from_be_bytes(s) } else { u16::from_le_bytes(s) })
}

fn rd_u32(b: &[u8], at: usize, be: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if be { u32::from_be_bytes(s) } else { u32::from_le_bytes(s) })
}

/// Reads a whole capture file held in memory.
pub fn read(bytes: &[u8]) -> ReadResult<'_> {
    match sniff(bytes) {
        Some(Container::Pcap { big_endian, nanos }) => read_pcap(bytes, big_endian, nanos),
        Some(Container::PcapNg) => read_pcapng(bytes),
        None => ReadResult {
            packets: Vec::new(),
            errors: vec![ContainerError {
                offset: 0,
                message: "not a pcap or pcapng file (unknown magic)".into(),
            }],
        },
    }
}

fn read_pcap(bytes: &[u8], be: bool, nanos: bool) -> ReadResult<'_> {
    let mut out = ReadResult::default();
    let Some(linktype) = rd_u32(bytes, 20, be) else {
        out.errors
            .push(ContainerError { offset: 0, message: "pcap header truncated (24 bytes expected)".into() });
        return out;
    };
    // The upper bits carry FCS information in some writers; the link type is the low 16 bits.
    let linktype = linktype & 0xFFFF;
    let mut pos = 24usize;
    let mut frame = 0u64;
    while pos < bytes.len() {
        let (Some(sec), Some(frac), Some(incl)) =
            (rd_u32(bytes, pos, be), rd_u32(bytes, pos + 4, be), rd_u32(bytes, pos + 8, be))
        else {
            out.errors.push(ContainerError {
                offset: pos as u64,
                message: format!("packet record header truncated after frame {frame}"),
            });
            break;
        };
        let incl = incl as usize;
        if incl > MAX_PACKET {
            out.errors.push(ContainerError {
                offset: pos as u64,
                message: format!("packet record length {incl} is implausible; the file is corrupt from here"),
            });
            break;
        }
        let Some(data) = bytes.get(pos + 16..pos + 16 + incl) else {
            out.errors.push(ContainerError {
                offset: pos as u64,
                message: format!("frame {} truncated: {incl} bytes announced", frame + 1),
            });
            break;
        };
        frame += 1;
        let frac_ns = if nanos { i128::from(frac) } else { i128::from(frac) * 1000 };
        let time_ns = i128::from(sec) * 1_000_000_000 + frac_ns;
        out.packets.push(Packet { frame, linktype, time_ns, data, offset: pos as u64 });
        pos += 16 + incl;
    }
    out
}

/// One pcapng interface: its link type and timestamp resolution (units per second).
#[derive(Clone, Copy, Debug)]
struct Interface {
    linktype: u32,
    units_per_sec: u64,
}

fn read_pcapng(bytes: &[u8]) -> ReadResult<'_> {
    let mut out = ReadResult::default();
    let mut pos = 0usize;
    let mut be = false;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut frame = 0u64;
    while pos < bytes.len() {
        let err = |message: String| ContainerError { offset: pos as u64, message };
        let Some(block_type) = rd_u32(bytes, pos, be) else {
            out.errors.push(err("block header truncated".into()));
            break;
        };
        if block_type == 0x0A0D_0D0A {
            // Section header: the byte-order magic decides the endianness of this section.
            match bytes.get(pos + 8..pos + 12) {
                Some([0x1A, 0x2B, 0x3C, 0x4D]) => be = true,
                Some([0x4D, 0x3C, 0x2B, 0x1A]) => be = false,
                _ => {
                    out.errors.push(err("section header with unknown byte-order magic".into()));
                    break;
                }
            }
            interfaces.clear();
        }
        let Some(block_len) = rd_u32(bytes, pos + 4, be).map(|l| l as usize) else {
            out.errors.push(err("block header truncated".into()));
            break;
        };
        if block_len < 12 || block_len & 3 != 0 || block_len > MAX_PACKET + 64 {
            out.errors
                .push(err(format!("block length {block_len} is invalid; the file is corrupt from here")));
            break;
        }
        let Some(block) = bytes.get(pos..pos + block_len) else {
            out.errors.push(err(format!("block truncated: {block_len} bytes announced")));
            break;
        };
        if rd_u32(block, block_len - 4, be) != Some(block_len as u32) {
            out.errors.push(err("block trailer length does not match its header".into()));
            break;
        }
        let body = block.get(8..block_len - 4).unwrap_or_default();
        match block_type {
            1 => {
                // Interface description: link type, reserved, snaplen, options.
                let linktype = rd_u16(body, 0, be).map(u32::from).unwrap_or(u32::MAX);
                let units_per_sec = if_tsresol(body.get(8..).unwrap_or_default(), be);
                interfaces.push(Interface { linktype, units_per_sec });
            }
            2 | 6 => {
                // Obsolete packet block (16-bit interface id) or enhanced packet block.
                let (iface, ts_at, cap_at, data_at) = if block_type == 6 {
                    (rd_u32(body, 0, be).map(|i| i as usize), 4, 12, 20)
                } else {
                    (rd_u16(body, 0, be).map(usize::from), 4, 12, 20)
                };
                let cap = rd_u32(body, cap_at, be).map(|c| c as usize);
                let data = cap.and_then(|c| body.get(data_at..data_at + c));
                let iface = iface.and_then(|i| interfaces.get(i).copied());
                frame += 1;
                match (iface, data) {
                    (Some(iface), Some(data)) => {
                        let hi = rd_u32(body, ts_at, be).unwrap_or(0);
                        let lo = rd_u32(body, ts_at + 4, be).unwrap_or(0);
                        let ts = (u64::from(hi) << 32) | u64::from(lo);
                        let time_ns = i128::from(ts) * 1_000_000_000 / i128::from(iface.units_per_sec.max(1));
                        out.packets.push(Packet {
                            frame,
                            linktype: iface.linktype,
                            time_ns,
                            data,
                            offset: pos as u64,
                        });
                    }
                    (None, _) => {
                        out.errors.push(err(format!("frame {frame}: packet names an unknown interface")))
                    }
                    (_, None) => {
                        out.errors.push(err(format!("frame {frame}: captured length exceeds its block")))
                    }
                }
            }
            3 => {
                // Simple packet block: always interface 0, no timestamp.
                frame += 1;
                let orig = rd_u32(body, 0, be).map(|l| l as usize).unwrap_or(0);
                let avail = body.len().saturating_sub(4);
                let data = body.get(4..4 + orig.min(avail)).unwrap_or_default();
                match interfaces.first() {
                    Some(iface) => out.packets.push(Packet {
                        frame,
                        linktype: iface.linktype,
                        time_ns: 0,
                        data,
                        offset: pos as u64,
                    }),
                    None => {
                        out.errors.push(err(format!("frame {frame}: simple packet before any interface")))
                    }
                }
            }
            _ => {}
        }
        pos += block_len;
    }
    out
}

/// The `if_tsresol` option (code 9) of an interface description, as units per second;
/// microseconds when absent.
fn if_tsresol(mut opts: &[u8], be: bool) -> u64 {
    while let (Some(code), Some(len)) = (rd_u16(opts, 0, be), rd_u16(opts, 2, be)) {
        let len = usize::from(len);
        if code == 0 {
            break;
        }
        if code == 9 {
            if let Some(&v) = opts.get(4) {
                let exp = u32::from(v & 0x7F);
                let base: u64 = if v & 0x80 != 0 { 2 } else { 10 };
                return base.checked_pow(exp).unwrap_or(1_000_000).max(1);
            }
        }
        let next = 4 + len.div_ceil(4) * 4;
        opts = opts.get(next..).unwrap_or_default();
    }
    1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn recognises_every_magic() {
        assert_eq!(
            sniff(&[0xD4, 0xC3, 0xB2, 0xA1]),
            Some(Container::Pcap { big_endian: false, nanos: false })
        );
        assert_eq!(sniff(&[0xA1, 0xB2, 0x3C, 0x4D]), Some(Container::Pcap { big_endian: true, nanos: true }));
        assert_eq!(sniff(&[0x0A, 0x0D, 0x0D, 0x0A]), Some(Container::PcapNg));
        assert_eq!(sniff(b"GIF8"), None);
        assert_eq!(sniff(&[0xD4]), None);
    }

    #[test]
    fn truncated_pcap_keeps_earlier_frames() {
        let mut f = vec![0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0];
        f.extend([0u8; 12]);
        f.extend(1u32.to_le_bytes());
        for payload in [&b"abcd"[..], &b"efgh"[..]] {
            f.extend([0u8; 8]);
            f.extend((payload.len() as u32).to_le_bytes());
            f.extend((payload.len() as u32).to_le_bytes());
            f.extend_from_slice(payload);
        }
        let r = read(&f[..f.len() - 2]);
        assert_eq!(r.packets.len(), 1);
        assert_eq!(r.packets[0].data, b"abcd");
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].offset, 44);
    }

    proptest! {
        #[test]
        fn never_panics(tail in proptest::collection::vec(any::<u8>(), 0..400), magic in 0usize..5) {
            let magics: [[u8; 4]; 5] = [[0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4],
                [0x4D, 0x3C, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D], [0x0A, 0x0D, 0x0D, 0x0A]];
            let mut f = magics[magic].to_vec();
            f.extend(tail);
            let _ = read(&f);
        }
    }
}
