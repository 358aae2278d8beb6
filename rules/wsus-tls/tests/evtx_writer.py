"""Writes Windows event logs (`.evtx`) for the pack's test cases: `make_fixtures.py` imports it.

A file is what Windows writes for a short, cleanly closed log (MS-EVEN6, and libevtx's notes on
the format): a 4 KiB file header (`ElfFile`), one 64 KiB chunk (`ElfChnk`) whose header carries
the CRC32 of its records and of itself, and records (`**\\0\\0`, size, EventRecordID, FILETIME)
whose body is binary XML: a fragment header and a **template instance**. Each event shape
(provider and event data names) is one template, defined inline by its first record in the chunk
(names inline, a GUID whose first four bytes are the template ID) and referred to by offset by
the later ones; the values — provider name, event ID, level, time, record ID, channel, computer,
each `<Data Name=…>` — are the instance's substitutions (typed: string, UInt8, UInt16, UInt64,
FILETIME, GUID, HexInt64).

Deterministic: no clock, no randomness; the same events give the same bytes.
"""

import datetime
import struct
import zlib

FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 512

# Substitution value types (MS-EVEN6 2.2.14).
STRING, UINT8, UINT16, UINT32, UINT64, GUID, FILETIME, HEXINT64 = 0x01, 0x04, 0x06, 0x08, 0x0A, 0x0F, 0x11, 0x15

EPOCH_1601 = datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)


def filetime(iso):
    """`2024-05-02T10:00:00.123Z` as 100 ns intervals since 1601."""
    t = datetime.datetime.strptime(iso.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
    d = t - EPOCH_1601
    return (d.days * 86400 + d.seconds) * 10_000_000 + d.microseconds * 10


def guid_bytes(text):
    """`{1F678132-5938-4686-9FDC-C8FF68F15C85}` in its binary layout (first three groups little-endian)."""
    h = text.strip("{}").split("-")
    return (struct.pack("<IHH", int(h[0], 16), int(h[1], 16), int(h[2], 16))
            + bytes.fromhex(h[3]) + bytes.fromhex(h[4]))


def name_hash(name):
    h = 0
    for unit in struct.unpack("<%dH" % len(name), name.encode("utf-16-le")):
        h = (h * 65599 + unit) & 0xFFFFFFFF
    return h & 0xFFFF


class Writer:
    """Binary XML bytes that know their offset in the chunk (names and templates point by offset)."""

    def __init__(self, base):
        self.base = base
        self.b = bytearray()

    def pos(self):
        return self.base + len(self.b)

    def put(self, fmt, *v):
        self.b += struct.pack("<" + fmt, *v)

    def patch(self, at, value):
        self.b[at:at + 4] = struct.pack("<I", value)

    def name(self, text):
        """A name reference followed by the name itself (inline)."""
        self.put("I", self.pos() + 4)
        self.put("IHH", 0, name_hash(text), len(text))
        self.b += text.encode("utf-16-le") + b"\0\0"

    def element(self, name, attrs=(), children=None):
        """`attrs`: (name, writer fn); `children`: writer fn, or None for an empty element."""
        self.put("BH", 0x41 if attrs else 0x01, 0xFFFF)
        size_at = len(self.b)
        self.put("I", 0)
        self.name(name)
        if attrs:
            list_at = len(self.b)
            self.put("I", 0)
            for i, (aname, value) in enumerate(attrs):
                self.put("B", 0x46 if i < len(attrs) - 1 else 0x06)
                self.name(aname)
                value(self)
            self.patch(list_at, len(self.b) - list_at - 4)
        if children is None:
            self.put("B", 0x03)
        else:
            self.put("B", 0x02)
            children(self)
            self.put("B", 0x04)
        self.patch(size_at, len(self.b) - size_at - 4)

    def text(self, s):
        self.put("BBH", 0x05, STRING, len(s))
        self.b += s.encode("utf-16-le")

    def sub(self, index, vtype, optional=False):
        self.put("BHB", 0x0E if optional else 0x0D, index, vtype)


def text(s):
    return lambda w: w.text(s)


def sub(index, vtype, optional=False):
    return lambda w: w.sub(index, vtype, optional)


SYSTEM_VALUES = 10  # substitutions 0-9 below; event data from 10 on


def template_body(w, data_names):
    """The `<Event>` tree with substitutions: 0 provider name, 1 provider GUID, 2 event ID,
    3 level, 4 task, 5 keywords, 6 time, 7 record ID, 8 channel, 9 computer, 10… data."""
    w.put("BBBB", 0x0F, 1, 1, 0)

    def system(w):
        w.element("Provider", [("Name", sub(0, STRING)), ("Guid", sub(1, GUID, True))])
        w.element("EventID", children=lambda w: w.sub(2, UINT16))
        w.element("Version", children=text("0"))
        w.element("Level", children=lambda w: w.sub(3, UINT8))
        w.element("Task", children=lambda w: w.sub(4, UINT16))
        w.element("Opcode", children=text("0"))
        w.element("Keywords", children=lambda w: w.sub(5, HEXINT64))
        w.element("TimeCreated", [("SystemTime", sub(6, FILETIME))])
        w.element("EventRecordID", children=lambda w: w.sub(7, UINT64))
        w.element("Correlation")
        w.element("Execution", [("ProcessID", text("716")), ("ThreadID", text("2104"))])
        w.element("Channel", children=lambda w: w.sub(8, STRING))
        w.element("Computer", children=lambda w: w.sub(9, STRING))
        w.element("Security")

    def event_data(w):
        for i, n in enumerate(data_names):
            w.element("Data", [("Name", text(n))], children=lambda w, i=i: w.sub(SYSTEM_VALUES + i, STRING, True))

    def event(w):
        w.element("System", children=system)
        w.element("EventData", children=event_data)

    w.element("Event", [("xmlns", text("http://schemas.microsoft.com/win/2004/08/events/event"))], children=event)
    w.put("B", 0x00)


def values(ev, record_id, computer, channel):
    """The substitution array of one record."""
    def s(v):
        return (STRING, v.encode("utf-16-le"))
    vals = [
        s(ev["provider"]),
        (GUID, guid_bytes(ev["guid"])) if ev.get("guid") else (0x00, b""),
        (UINT16, struct.pack("<H", ev["event_id"])),
        (UINT8, struct.pack("<B", ev.get("level", 4))),
        (UINT16, struct.pack("<H", ev.get("task", 0))),
        (HEXINT64, struct.pack("<Q", ev.get("keywords", 0x8000000000000000))),
        (FILETIME, struct.pack("<Q", filetime(ev["time"]))),
        (UINT64, struct.pack("<Q", record_id)),
        s(channel),
        s(computer),
    ] + [s(v) for _, v in ev.get("data", ())]
    out = struct.pack("<I", len(vals))
    for t, b in vals:
        out += struct.pack("<HBB", len(b), t, 0)
    for _, b in vals:
        out += b
    return out


def chunk(events, computer, channel, first_id):
    body = bytearray()
    templates = {}  # shape -> (template id, offset of its definition)
    last_offset = CHUNK_HEADER_SIZE
    for i, ev in enumerate(events):
        record_id = first_id + i
        start = CHUNK_HEADER_SIZE + len(body)
        w = Writer(start + 24)
        w.put("BBBB", 0x0F, 1, 1, 0)
        names = tuple(n for n, _ in ev.get("data", ()))
        shape = (ev["provider"], ev["event_id"], names)
        if shape in templates:
            tid, def_offset = templates[shape]
            w.put("BBII", 0x0C, 1, tid, def_offset)
        else:
            guid = struct.pack("<I", zlib.crc32(repr(shape).encode())) + bytes(range(12))
            tid = struct.unpack("<I", guid[:4])[0]
            def_offset = w.pos() + 10
            w.put("BBII", 0x0C, 1, tid, def_offset)
            body_w = Writer(def_offset + 24)
            template_body(body_w, names)
            w.put("I", 0)
            w.b += guid
            w.put("I", len(body_w.b))
            w.b += body_w.b
            templates[shape] = (tid, def_offset)
        w.b += values(ev, record_id, computer, channel)
        size = 24 + len(w.b) + 4
        rec = struct.pack("<4sIQQ", b"**\0\0", size, record_id, filetime(ev["time"])) + bytes(w.b) + struct.pack("<I", size)
        last_offset = start
        body += rec
    free = CHUNK_HEADER_SIZE + len(body)
    assert free <= CHUNK_SIZE, "events do not fit in one chunk"
    last_id = first_id + len(events) - 1
    head = bytearray(CHUNK_HEADER_SIZE)
    struct.pack_into("<8sQQQQIIII", head, 0, b"ElfChnk\0", first_id, last_id, first_id, last_id,
                     128, last_offset, free, zlib.crc32(bytes(body)))
    struct.pack_into("<I", head, 120, 0)  # flags
    struct.pack_into("<I", head, 124, zlib.crc32(bytes(head[:120]) + bytes(head[128:512])))
    return bytes(head) + bytes(body) + bytes(CHUNK_SIZE - free)


def evtx(events, computer="WSUS01.contoso.com", channel="System"):
    """A whole `.evtx` file holding `events`, in order, with record IDs from 1.

    Each event: `provider`, `event_id`, `time` (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), optional `guid`,
    `level` (default 4), `task`, `keywords`, `data` (a list of (name, value) strings)."""
    c = chunk(events, computer, channel, 1)
    head = bytearray(FILE_HEADER_SIZE)
    struct.pack_into("<8sQQQIHHHH", head, 0, b"ElfFile\0", 0, 0, len(events) + 1, 128, 1, 3, FILE_HEADER_SIZE, 1)
    struct.pack_into("<I", head, 120, 0)  # flags: clean
    struct.pack_into("<I", head, 124, zlib.crc32(bytes(head[:120])))
    return bytes(head) + c
