//! From packets to TCP connections: link layers (Ethernet with VLAN tags, Linux cooked v1 and
//! v2, raw IP, BSD loopback), IPv4 and IPv6, and per-connection byte streams reassembled by
//! sequence number, so a TLS hello split over several segments reads as one.
//!
//! Each direction keeps at most [`MAX_STREAM`] bytes: enough for the hellos and the proxy's
//! answer, which is all diagnosis reads. Every stretch of stream remembers the frame it came
//! in, so a message can be traced back to the frame that completed it.
//!
//! Bounded whatever the capture holds: at most [`MAX_CONNECTIONS`] connections are tracked (later
//! ones are counted in [`FlowTable::dropped_connections`] and
//! [`FlowTable::dropped_segments`]), all streams together keep at most
//! [`MAX_TOTAL_BYTES`] (payload past it is counted in [`FlowTable::dropped_bytes`]), and each
//! connection remembers its first [`MAX_CLOSES`] FINs and RSTs.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use crate::capture::pcap::{linktype, Packet};

/// Bytes kept per direction of a connection.
pub const MAX_STREAM: usize = 256 * 1024;

/// Segments held behind a gap per direction (bounds memory on captures that lost packets).
const MAX_PENDING: usize = 1024;

/// Connections tracked per capture; the diagnosis needs the handshakes of a few, not a flood.
pub const MAX_CONNECTIONS: usize = 4096;

/// Stream bytes kept over all connections of a capture (each kept segment also counts
/// [`SEGMENT_OVERHEAD`] for its bookkeeping), so memory is bounded by what is kept.
pub const MAX_TOTAL_BYTES: usize = 64 << 20;

/// What one kept segment costs besides its payload (its entry in the pending map and chunk list).
const SEGMENT_OVERHEAD: usize = 64;

/// FINs and RSTs remembered per connection (the answer is the first one after the hello).
pub const MAX_CLOSES: usize = 16;

const TCP_FIN: u8 = 0x01;
const TCP_SYN: u8 = 0x02;
const TCP_RST: u8 = 0x04;
const TCP_ACK: u8 = 0x10;

/// One end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    /// `10.0.0.1:443`, `[::1]:443`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.port),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

/// A decoded TCP segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub seq: u32,
    pub flags: u8,
    pub payload: &'a [u8],
}

/// Why a packet was not a TCP segment we could read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not TCP, or a link type or protocol this reader does not handle: silently ignored.
    NotTcp,
    /// A fragment of an IP datagram: fragments are not reassembled.
    Fragment,
    /// Malformed headers.
    Malformed(String),
    UnknownLinkType(u32),
}

/// Decodes a packet down to its TCP segment.
pub fn decode<'a>(packet: &Packet<'a>) -> Result<Segment<'a>, Skip> {
    let d = packet.data;
    let (ethertype, ip) = match packet.linktype {
        linktype::ETHERNET => ethernet(d)?,
        linktype::LINUX_SLL => (be16(d, 14)?, d.get(16..).ok_or_else(short)?),
        linktype::LINUX_SLL2 => (be16(d, 0)?, d.get(20..).ok_or_else(short)?),
        linktype::RAW | linktype::RAW_ALT12 | linktype::RAW_ALT14 => (0, d),
        linktype::IPV4 => (0x0800, d),
        linktype::IPV6 => (0x86DD, d),
        linktype::NULL | linktype::LOOP => {
            // A 4-byte address family in host (NULL) or network (LOOP) order; the IP header's
            // version nibble tells the rest.
            (0, d.get(4..).ok_or_else(short)?)
        }
        other => return Err(Skip::UnknownLinkType(other)),
    };
    let version = ip.first().map(|b| b >> 4);
    match (ethertype, version) {
        (0x0800, _) | (0, Some(4)) => ipv4(ip),
        (0x86DD, _) | (0, Some(6)) => ipv6(ip),
        _ => Err(Skip::NotTcp),
    }
}

fn short() -> Skip {
    Skip::Malformed("packet shorter than its link-layer header".into())
}

fn be16(d: &[u8], at: usize) -> Result<u16, Skip> {
    d.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or_else(short)
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn ethernet(d: &[u8]) -> Result<(u16, &[u8]), Skip> {
    let mut at = 12;
    let mut ethertype = be16(d, at)?;
    // 802.1Q and 802.1ad tags, possibly stacked.
    while matches!(ethertype, 0x8100 | 0x88A8 | 0x9100) {
        at += 4;
        ethertype = be16(d, at)?;
    }
    Ok((ethertype, d.get(at + 2..).ok_or_else(short)?))
}

fn ipv4(ip: &[u8]) -> Result<Segment<'_>, Skip> {
    let ihl = usize::from(ip.first().ok_or(Skip::NotTcp)? & 0x0F) * 4;
    let total = usize::from(be16(ip, 2).map_err(|_| bad("IPv4 header truncated"))?);
    if ihl < 20 || ip.len() < ihl {
        return Err(bad("IPv4 header length invalid"));
    }
    let frag = be16(ip, 6).map_err(|_| bad("IPv4 header truncated"))?;
    let proto = *ip.get(9).ok_or_else(|| bad("IPv4 header truncated"))?;
    if proto != 6 {
        return Err(Skip::NotTcp);
    }
    if frag & 0x3FFF != 0 {
        return Err(Skip::Fragment);
    }
    let src =
        ip.get(12..16).and_then(|b| <[u8; 4]>::try_from(b).ok()).ok_or_else(|| bad("IPv4 truncated"))?;
    let dst =
        ip.get(16..20).and_then(|b| <[u8; 4]>::try_from(b).ok()).ok_or_else(|| bad("IPv4 truncated"))?;
    // Trailing Ethernet padding is not payload; a TSO capture may show total = 0: use what is there.
    let end = if total >= ihl { total.min(ip.len()) } else { ip.len() };
    let tcp_bytes = ip.get(ihl..end).ok_or_else(|| bad("IPv4 length shorter than header"))?;
    tcp(IpAddr::from(src), IpAddr::from(dst), tcp_bytes)
}

fn ipv6(ip: &[u8]) -> Result<Segment<'_>, Skip> {
    if ip.len() < 40 {
        return Err(bad("IPv6 header truncated"));
    }
    let payload_len = usize::from(be16(ip, 4)?);
    let mut next = *ip.get(6).ok_or_else(|| bad("IPv6 header truncated"))?;
    let src =
        ip.get(8..24).and_then(|b| <[u8; 16]>::try_from(b).ok()).ok_or_else(|| bad("IPv6 truncated"))?;
    let dst =
        ip.get(24..40).and_then(|b| <[u8; 16]>::try_from(b).ok()).ok_or_else(|| bad("IPv6 truncated"))?;
    let end = if payload_len == 0 { ip.len() } else { (40 + payload_len).min(ip.len()) };
    let mut at = 40;
    loop {
        match next {
            6 => break,
            // Hop-by-hop, routing, destination options: skip by their length.
            0 | 43 | 60 => {
                let n = *ip.get(at).ok_or_else(|| bad("IPv6 extension header truncated"))?;
                let len = usize::from(*ip.get(at + 1).ok_or_else(|| bad("IPv6 extension header truncated"))?);
                next = n;
                at += (len + 1) * 8;
            }
            44 => return Err(Skip::Fragment),
            _ => return Err(Skip::NotTcp),
        }
    }
    let tcp_bytes = ip.get(at..end).ok_or_else(|| bad("IPv6 extension headers exceed the packet"))?;
    tcp(IpAddr::from(src), IpAddr::from(dst), tcp_bytes)
}

fn tcp<'a>(src: IpAddr, dst: IpAddr, t: &'a [u8]) -> Result<Segment<'a>, Skip> {
    let sport = be16(t, 0).map_err(|_| bad("TCP header truncated"))?;
    let dport = be16(t, 2).map_err(|_| bad("TCP header truncated"))?;
    let seq = be32(t, 4).ok_or_else(|| bad("TCP header truncated"))?;
    let off = usize::from(t.get(12).ok_or_else(|| bad("TCP header truncated"))? >> 4) * 4;
    let flags = *t.get(13).ok_or_else(|| bad("TCP header truncated"))?;
    if off < 20 {
        return Err(bad("TCP data offset below 20"));
    }
    let payload = t.get(off..).ok_or_else(|| bad("TCP options exceed the segment"))?;
    Ok(Segment {
        src: Endpoint { ip: src, port: sport },
        dst: Endpoint { ip: dst, port: dport },
        seq,
        flags,
        payload,
    })
}

fn bad(msg: &str) -> Skip {
    Skip::Malformed(msg.into())
}

/// How a direction of a connection ended, or was torn down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseKind {
    Fin,
    Rst,
}

/// A FIN or RST seen on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseEvent {
    pub frame: u64,
    /// The direction that sent it (0 = from `a`, 1 = from `b`).
    pub dir: usize,
    pub kind: CloseKind,
}

/// One direction's reassembled bytes.
#[derive(Debug, Default)]
pub struct Stream {
    /// Sequence number of the first payload byte (from the SYN, else the first segment).
    base: Option<u32>,
    /// Contiguous bytes from `base`.
    pub bytes: Vec<u8>,
    /// `(stream offset, frame)`: the frame that delivered the bytes starting at that offset.
    chunks: Vec<(usize, u64)>,
    /// Segments that arrived ahead of a gap, by stream offset.
    pending: BTreeMap<usize, (Vec<u8>, u64)>,
    /// Whether the stream had to drop bytes past [`MAX_STREAM`].
    pub capped: bool,
}

impl Stream {
    /// The frame that delivered stream byte `offset` (the frame completing a message ending at
    /// `end` is `frame_of(end - 1)`).
    pub fn frame_of(&self, offset: usize) -> Option<u64> {
        let i = self.chunks.partition_point(|&(start, _)| start <= offset);
        self.chunks.get(i.checked_sub(1)?).map(|&(_, f)| f)
    }

    /// The frame that completed stream bytes `start..end` (the latest frame delivering any of
    /// them: with segments out of order, that is not the frame holding the last byte), as
    /// Wireshark names the frame of a reassembled message.
    pub fn completing_frame(&self, start: usize, end: usize) -> Option<u64> {
        let first = self.chunks.partition_point(|&(s, _)| s <= start).checked_sub(1)?;
        self.chunks.iter().skip(first).take_while(|&&(s, _)| s < end.max(start + 1)).map(|&(_, f)| f).max()
    }

    /// Whether any payload was seen, including payload still waiting behind a gap.
    pub fn has_data(&self) -> bool {
        !self.bytes.is_empty() || !self.pending.is_empty()
    }

    /// Adds a segment, taking what is kept out of `budget`; returns the payload bytes dropped
    /// because the budget ran out.
    fn add(&mut self, seq: u32, payload: &[u8], frame: u64, budget: &mut usize) -> u64 {
        let base = *self.base.get_or_insert(seq);
        let offset = seq.wrapping_sub(base) as usize;
        if offset >= MAX_STREAM || payload.is_empty() {
            // Retransmissions from before the base wrap to huge offsets: ignore them too.
            self.capped |= offset < u32::MAX as usize / 2 && !payload.is_empty();
            return 0;
        }
        if self.pending.contains_key(&offset) || offset + payload.len() <= self.bytes.len() {
            // A retransmission of bytes already held: nothing new to keep.
            return 0;
        }
        if self.pending.len() >= MAX_PENDING {
            // Too many segments behind one gap: the capture lost data; keep what is contiguous.
            self.capped = true;
            return 0;
        }
        // Nothing past MAX_STREAM is ever kept, so it is not stored either.
        let payload = payload.get(..payload.len().min(MAX_STREAM - offset)).unwrap_or_default();
        let cost = payload.len() + SEGMENT_OVERHEAD;
        if cost > *budget {
            self.capped = true;
            return payload.len() as u64;
        }
        *budget -= cost;
        self.pending.insert(offset, (payload.to_vec(), frame));
        self.drain();
        0
    }

    fn drain(&mut self) {
        while let Some((&offset, _)) = self.pending.first_key_value() {
            if offset > self.bytes.len() {
                break;
            }
            let Some((data, frame)) = self.pending.remove(&offset) else { break };
            let skip = self.bytes.len() - offset;
            let Some(new) = data.get(skip..) else { continue };
            let room = MAX_STREAM.saturating_sub(self.bytes.len());
            if new.len() > room {
                self.capped = true;
            }
            let new = new.get(..new.len().min(room)).unwrap_or_default();
            if !new.is_empty() {
                self.chunks.push((self.bytes.len(), frame));
                self.bytes.extend_from_slice(new);
            }
        }
    }
}

/// One TCP connection: endpoints `a` and `b` in first-seen order, and what each sent.
#[derive(Debug)]
pub struct Connection {
    pub a: Endpoint,
    pub b: Endpoint,
    /// The direction whose SYN (without ACK) opened the connection, if it was captured.
    pub syn_dir: Option<usize>,
    /// Frame of the first packet seen.
    pub first_frame: u64,
    /// `streams[0]` is what `a` sent, `streams[1]` what `b` sent.
    pub streams: [Stream; 2],
    pub closes: Vec<CloseEvent>,
}

impl Connection {
    /// The endpoint that sent direction `dir`.
    pub fn sender(&self, dir: usize) -> Endpoint {
        if dir == 0 {
            self.a
        } else {
            self.b
        }
    }
}

/// Tracks connections over a capture. A new SYN on a 4-tuple whose earlier connection has
/// ended starts a new connection (ports are reused).
#[derive(Debug)]
pub struct FlowTable {
    pub connections: Vec<Connection>,
    index: HashMap<(Endpoint, Endpoint), usize>,
    /// Connections opened (a SYN) past [`MAX_CONNECTIONS`], not tracked.
    pub dropped_connections: u64,
    /// Segments of connections past [`MAX_CONNECTIONS`], not read.
    pub dropped_segments: u64,
    /// Payload bytes not kept because [`MAX_TOTAL_BYTES`] was reached.
    pub dropped_bytes: u64,
    /// Bytes still free of the budget ([`MAX_TOTAL_BYTES`] by default).
    budget: usize,
}

impl Default for FlowTable {
    fn default() -> Self {
        FlowTable::with_budget(MAX_TOTAL_BYTES)
    }
}

impl FlowTable {
    /// A table keeping at most `bytes` of streams (and their bookkeeping) over all connections.
    pub fn with_budget(bytes: usize) -> Self {
        FlowTable {
            connections: Vec::new(),
            index: HashMap::new(),
            dropped_connections: 0,
            dropped_segments: 0,
            dropped_bytes: 0,
            budget: bytes,
        }
    }

    pub fn add(&mut self, seg: &Segment<'_>, frame: u64) {
        let key = if seg.src <= seg.dst { (seg.src, seg.dst) } else { (seg.dst, seg.src) };
        let is_syn = seg.flags & TCP_SYN != 0 && seg.flags & TCP_ACK == 0;
        let existing = self.index.get(&key).copied();
        let reuse = match existing.and_then(|i| self.connections.get(i)) {
            Some(c) => {
                !(is_syn && (!c.closes.is_empty() || c.syn_dir.is_some_and(|d| c.sender(d) != seg.src)))
            }
            None => false,
        };
        let idx = match existing {
            Some(i) if reuse => i,
            _ if self.connections.len() >= MAX_CONNECTIONS => {
                // Remembering which flows were dropped would be unbounded too: count the
                // connections opened (SYNs) and every segment left out.
                if is_syn {
                    self.dropped_connections += 1;
                }
                self.dropped_segments += 1;
                return;
            }
            _ => {
                self.connections.push(Connection {
                    a: seg.src,
                    b: seg.dst,
                    syn_dir: None,
                    first_frame: frame,
                    streams: [Stream::default(), Stream::default()],
                    closes: Vec::new(),
                });
                let i = self.connections.len() - 1;
                self.index.insert(key, i);
                i
            }
        };
        let Some(conn) = self.connections.get_mut(idx) else { return };
        let dir = usize::from(conn.a != seg.src);
        let Some(stream) = conn.streams.get_mut(dir) else { return };
        if seg.flags & TCP_SYN != 0 {
            // The SYN consumes one sequence number: data starts after it.
            if stream.base.is_none() {
                stream.base = Some(seg.seq.wrapping_add(1));
            }
            if is_syn {
                conn.syn_dir = Some(dir);
            }
        }
        if !seg.payload.is_empty() {
            self.dropped_bytes += stream.add(seg.seq, seg.payload, frame, &mut self.budget);
        }
        if conn.closes.len() >= MAX_CLOSES {
            return;
        }
        if seg.flags & TCP_RST != 0 {
            conn.closes.push(CloseEvent { frame, dir, kind: CloseKind::Rst });
        } else if seg.flags & TCP_FIN != 0 {
            conn.closes.push(CloseEvent { frame, dir, kind: CloseKind::Fin });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ep(last: u8, port: u16) -> Endpoint {
        Endpoint { ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)), port }
    }

    fn seg(src: Endpoint, dst: Endpoint, seq: u32, flags: u8, payload: &[u8]) -> Segment<'_> {
        Segment { src, dst, seq, flags, payload }
    }

    #[test]
    fn out_of_order_segments_are_reassembled_with_frames() {
        let (c, s) = (ep(1, 50000), ep(2, 443));
        let mut t = FlowTable::default();
        t.add(&seg(c, s, 99, TCP_SYN, b""), 1);
        t.add(&seg(c, s, 104, TCP_ACK, b"world"), 2);
        t.add(&seg(c, s, 100, TCP_ACK, b"hell"), 3);
        t.add(&seg(c, s, 100, TCP_ACK, b"hello"), 4); // retransmission overlapping both
        t.add(&seg(s, c, 7, TCP_RST, b""), 5);
        let conn = &t.connections[0];
        assert_eq!(conn.streams[0].bytes, b"hellworld");
        assert_eq!(conn.streams[0].frame_of(0), Some(3));
        assert_eq!(conn.streams[0].frame_of(8), Some(2));
        assert_eq!(conn.streams[0].completing_frame(0, 9), Some(3));
        assert_eq!(conn.streams[0].completing_frame(4, 9), Some(2));
        assert_eq!(conn.syn_dir, Some(0));
        assert_eq!(conn.closes, vec![CloseEvent { frame: 5, dir: 1, kind: CloseKind::Rst }]);
    }

    #[test]
    fn a_new_syn_after_a_close_starts_a_new_connection() {
        let (c, s) = (ep(1, 50000), ep(2, 443));
        let mut t = FlowTable::default();
        t.add(&seg(c, s, 1, TCP_SYN, b""), 1);
        t.add(&seg(s, c, 1, TCP_RST | TCP_ACK, b""), 2);
        t.add(&seg(c, s, 900, TCP_SYN, b""), 3);
        assert_eq!(t.connections.len(), 2);
    }

    #[test]
    fn the_byte_budget_bounds_what_all_streams_keep() {
        let s = ep(2, 443);
        // Room for two 100-byte segments and their bookkeeping, not three.
        let mut t = FlowTable::with_budget(2 * (100 + SEGMENT_OVERHEAD) + 10);
        for port in 1..=3u16 {
            let c = ep(1, port);
            t.add(&seg(c, s, 0, TCP_SYN, b""), 1);
            t.add(&seg(c, s, 1, TCP_ACK, &[0x16; 100]), 2);
        }
        let kept: Vec<usize> = t.connections.iter().map(|c| c.streams[0].bytes.len()).collect();
        assert_eq!(kept, [100, 100, 0]);
        assert_eq!(t.dropped_bytes, 100);
        assert!(t.connections[2].streams[0].capped);
    }

    #[test]
    fn connections_past_the_limit_are_counted_not_kept() {
        let s = ep(2, 443);
        let mut t = FlowTable::default();
        for i in 0..MAX_CONNECTIONS as u32 + 10 {
            let c = Endpoint { ip: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)), port: 50000 };
            t.add(&seg(c, s, 0, TCP_SYN, b""), 1);
            t.add(&seg(c, s, 1, TCP_FIN | TCP_ACK, b""), 2);
        }
        assert_eq!(t.connections.len(), MAX_CONNECTIONS);
        assert_eq!((t.dropped_connections, t.dropped_segments), (10, 20));
    }

    #[test]
    fn a_flood_of_resets_keeps_the_first_few() {
        let (c, s) = (ep(1, 50000), ep(2, 443));
        let mut t = FlowTable::default();
        for frame in 0..10_000u64 {
            t.add(&seg(s, c, 1, TCP_RST, b""), frame);
        }
        assert_eq!(t.connections[0].closes.len(), MAX_CLOSES);
        assert_eq!(t.connections[0].closes[0].frame, 0);
    }
}
